import BudgetCore
import BudgetServer
import BudgetStore
import BudgetTestSupport
import Foundation
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Prometheus metrics", .timeLimit(.minutes(2)))
struct MetricsTests {
    @Test("/metrics has the contract's metrics with bounded labels, and promtool accepts the scrape")
    func scrape() async throws {
        let metrics = BudgetMetrics()
        let url = try await TestDatabase.make()
        let store = BudgetStore(url: url, maximumConnections: 4, acquireTimeout: TestDatabase.acquireTimeout, logger: TestDatabase.testLogger)
        var configuration = ServerConfiguration()
        configuration.bootstrapAdminToken = TestApp.adminToken
        configuration.backgroundJobs = false
        let app = buildApplication(configuration: configuration, store: store, expectedMigration: 0, metrics: metrics, logger: TestDatabase.testLogger)
        try await app.test(.router) { client in
            try await DecisionAPITests.prepared(client)
            _ = try await client.postJSON("/v1/tenants/acme/usage", #"{"samples":[\#(usage("cpu_cores", "4", "2026-11-01T10:00:00Z", "2026-11-01T11:00:00Z"))]}"#)
            _ = try await client.send(.post, "/v1/tenants/acme/decisions", body: DecisionAPITests.decision("m1", to: 8))
            _ = try await client.send(.post, "/v1/tenants/acme/decisions", body: DecisionAPITests.decision("m2", from: 8, to: 20))
            _ = try await client.send(.get, "/v1/tenants/acme/nothing")
            try await MetricsService(store: store, metrics: metrics, logger: TestDatabase.testLogger).refresh(now: Timestamp.now())

            let scrape = try await client.send(.get, "/metrics", token: nil)
            #expect(scrape.status == .ok)
            let text = scrape.text
            for name in ["replica_count", "scale_events_total", "queue_depth", "backlog_duration_seconds", "decisions_total",
                         "samples_ingested_total", "http_requests_total", "http_request_duration_seconds_bucket"] {
                #expect(text.contains(name), "missing \(name)")
            }
            #expect(text.contains(#"scale_events_total{tenant="acme",environment="prod",direction="up",outcome="allow"} 1"#), "\(text.prefix(2000))")
            #expect(text.contains(#"decisions_total{outcome="clamp",reason="cap_hourly_run_rate"} 1"#), "\(text.prefix(3000))")
            #expect(text.contains(#"replica_count{tenant="acme",environment="prod",service="api"} 12.0"#))
            // One after the other: each decision in a transaction of its own.
            #expect(text.contains(#"decisions_by_transaction_total{tenant="acme",transaction="own"} 2"#), "\(text.prefix(3000))")
            #expect(text.contains(#"samples_ingested_total{tenant="acme",result="accepted"} 1"#))
            #expect(text.contains(#"queue_depth{queue="alert_outbox"} 0.0"#))
            #expect(text.contains(#"route="/v1/tenants/{tenant}/decisions""#))
            // No decision ids or other unbounded values in labels.
            #expect(!text.contains("m1") && !text.contains("request_id"))

            let file = FileManager.default.temporaryDirectory.appendingPathComponent("scrape-\(UUID().uuidString).txt")
            try text.write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "promtool check metrics < '\(file.path)'"]
            let output = try await Blocking.run(process, separateStandardError: false).stdout
            // The scaling contract names the gauge `replica_count`; promtool's linter flags any non-histogram name ending in
            // `_count`. That single finding is the contract's name, kept on purpose; every other check must pass.
            let findings = output.split(separator: "\n").filter { !$0.isEmpty }
            let unexpected = findings.filter { !$0.hasPrefix("replica_count non-histogram and non-summary metrics should not have \"_count\" suffix") }
            #expect(process.terminationStatus == 0 || (process.terminationStatus == 3 && unexpected.isEmpty), "promtool: \(output)")
            #expect(unexpected.isEmpty, "promtool: \(output)")
        }
    }

    @Test("with --protect-metrics a token is needed")
    func protected() async throws {
        var configuration = ServerConfiguration()
        configuration.protectMetrics = true
        try await TestApp.fresh(configuration: configuration).test { client, _ in
            let anonymous = try await client.send(.get, "/metrics", token: nil)
            let authenticated = try await client.send(.get, "/metrics")
            #expect(anonymous.status == .unauthorized)
            #expect(authenticated.status == .ok)
        }
    }
}
