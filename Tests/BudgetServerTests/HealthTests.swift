import BudgetStore
import BudgetTestSupport
import Foundation
import HummingbirdTesting
import LocalPostgres
import NIOCore
import Testing

@Suite("Health, readiness and database faults", .timeLimit(.minutes(3)))
struct HealthTests {
    @Test("/health and /ready answer on a migrated database")
    func ready() async throws {
        try await TestApp.fresh().test { client, _ in
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
            let ready = try await client.execute(uri: "/ready", method: .get)
            #expect(ready.status == .ok)
        }
    }

    @Test("/ready is 503 while the schema is not migrated")
    func notMigrated() async throws {
        try await TestApp(url: try await TestDatabase.makeEmpty()).test { client, _ in
            let ready = try await client.execute(uri: "/ready", method: .get)
            #expect(ready.status == .serviceUnavailable)
            #expect(ready.json?.error.code == "not_migrated")
            #expect(ready.headers[.retryAfter] != nil)
        }
    }

    @Test("with the database down, ingest and decisions are 503 with Retry-After; when it returns, ingest works without a restart")
    func databaseOutage() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chartly-outage-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = try freeStablePort()
        let cluster = LocalPostgresCluster(
            configuration: LocalPostgresConfiguration(dataDirectory: directory + "/postgres", ephemeral: false, port: port),
            logger: TestDatabase.testLogger
        )
        let info = try await cluster.start()
        let url = DatabaseURL(host: info.host, port: info.port, username: info.username, password: info.password, database: info.database)
        let migrator = BudgetStore(url: url, maximumConnections: 1, acquireTimeout: TestDatabase.acquireTimeout, logger: TestDatabase.testLogger)
        _ = try await migrator.whileRunning { try await Migrator(store: migrator).migrate() }

        // Bounded, but long enough for a loaded CI machine (the whole suite, Citus nodes included, runs at once).
        let app = try TestApp(url: url, acquireTimeout: .seconds(10))
        do {
            try await app.test { client, _ in
                let before = try await client.postJSON("/v1/tenants/acme/usage", #"{"samples":[\#(sampleJSON(minute: 0))]}"#)
                #expect(before.status == .ok)

                try await cluster.stop()
                let during = try await client.postJSON("/v1/tenants/acme/usage", #"{"samples":[\#(sampleJSON(minute: 1))]}"#)
                #expect(during.status == .serviceUnavailable)
                #expect(during.headers[.retryAfter] != nil)
                #expect(during.json?.error.code == "database_unavailable")
                #expect(try await client.execute(uri: "/ready", method: .get).status == .serviceUnavailable)
                // Decisions fail the same way: callers treat a 503 as deny for scale-ups.
                let decision = try await client.send(
                    .post, "/v1/tenants/acme/decisions",
                    body: #"{"request_id":"down","environment":"prod","service":"api","current_replicas":1,"desired_replicas":2}"#
                )
                #expect(decision.status == .serviceUnavailable)
                #expect(decision.headers[.retryAfter] != nil)

                _ = try await cluster.start()
                var after = try await client.postJSON("/v1/tenants/acme/usage", #"{"samples":[\#(sampleJSON(minute: 1))]}"#)
                for _ in 0..<20 where after.status != .ok {
                    try await Task.sleep(for: .milliseconds(250))
                    after = try await client.postJSON("/v1/tenants/acme/usage", #"{"samples":[\#(sampleJSON(minute: 1))]}"#)
                }
                #expect(after.status == .ok)
                let stored = BudgetStore(url: url, maximumConnections: 1, acquireTimeout: TestDatabase.acquireTimeout, logger: TestDatabase.testLogger)
                let count = try await stored.whileRunning { try await stored.count("SELECT count(*) FROM usage_samples") }
                #expect(count == 2)
            }
        } catch {
            try? await cluster.stop()
            throw error
        }
        try await cluster.stop()
    }
}
