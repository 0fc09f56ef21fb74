import BudgetCore
import BudgetServer
import BudgetStore
import BudgetTestSupport
import Foundation
import Testing

/// A real Prometheus Alertmanager (Debian's prometheus-alertmanager, installed by .ci/run) on a free port.
final class AlertmanagerProcess: @unchecked Sendable {
    let process = Process()
    let port: Int
    let directory: String

    init() throws {
        port = try freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("alertmanager-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "route:\n  receiver: sink\nreceivers:\n  - name: sink\n".write(toFile: directory + "/alertmanager.yml", atomically: true, encoding: .utf8)
        let binary = ["/usr/bin/prometheus-alertmanager", "/usr/bin/alertmanager"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let binary else { throw ServeProcessError("prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager; .ci/run does)") }
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--config.file=\(directory)/alertmanager.yml", "--storage.path=\(directory)/data",
            "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address=",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    func waitUntilReady() async throws {
        for _ in 0..<100 {
            if let (status, _) = try? await HTTP.get("\(baseURL)/-/ready"), status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ServeProcessError("Alertmanager did not become ready")
    }

    deinit {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

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
