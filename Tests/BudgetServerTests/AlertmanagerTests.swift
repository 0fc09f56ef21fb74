import BudgetCore
import BudgetServer
import BudgetStore
import BudgetTestSupport
import Foundation
import Testing

@Suite("Delivery to a real Prometheus Alertmanager", .timeLimit(.minutes(2)))
struct AlertmanagerTests {
    @Test("a vetoed scale-up's alert appears in Alertmanager's API with its labels")
    func delivered() async throws {
        let alertmanager = try AlertmanagerProcess()
        try await alertmanager.waitUntilReady()
        try await TestApp.fresh().test { client, store in
            try await DecisionAPITests.prepared(client)
            let route = try await client.send(.put, "/v1/tenants/acme/alert-routes/am", body: #"{"url":"\#(alertmanager.baseURL)","format":"alertmanager"}"#)
            #expect(route.status == .created)
            _ = try await client.send(.post, "/v1/tenants/acme/decisions", body: DecisionAPITests.decision("a", to: 10))
            _ = try await client.send(.post, "/v1/tenants/acme/decisions", body: DecisionAPITests.decision("b", from: 10, to: 12))
            let denied = try await client.send(.post, "/v1/tenants/acme/decisions", body: DecisionAPITests.decision("c", from: 12, to: 13))
            #expect(denied.text.contains(#""outcome":"deny""#))
            let delivery = AlertDeliveryService(store: store, logger: TestDatabase.testLogger)
            #expect(try await delivery.deliverOnce() == 1)
            #expect(try await store.deliveries(tenant: "acme", state: "delivered").count == 1)

            var alerts = ""
            for _ in 0..<50 {
                alerts = try await HTTP.get("\(alertmanager.baseURL)/api/v2/alerts").1
                if alerts.contains("ChartlyCapVeto") { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(alerts.contains(#""alertname":"ChartlyCapVeto""#), "\(alerts)")
            #expect(alerts.contains(#""tenant":"acme""#))
            #expect(alerts.contains(#""environment":"prod""#))
            #expect(alerts.contains("exceeded cap prod-cap"))
        }
    }
}
