import BudgetCore
import BudgetStore
import BudgetTestSupport
import Foundation
import LocalPostgres
import PostgresNIO
import Synchronization
import Testing

/// Ingest and decision traffic against the built service, recording what the service acknowledged.
final class Traffic: Sendable {
    struct Acknowledged: Sendable {
        var batches: [Int] = []
        var inFlight: [Int] = []
        var decisions: [(requestID: String, decisionID: String, service: Int)] = []
        var failures = 0
    }

    static let samplesPerBatch = 100
    let base: String
    let token: String
    let state = Mutex(Acknowledged())
    let stopped = Mutex(false)

    init(base: String, token: String) {
        self.base = base
        self.token = token
    }

    /// One minute of usage per sample, distinct for every (batch, index): `quantity` whole cores, so each
    /// sample costs exactly quantity × 0.001 USD at 0.06 USD per core-hour.
    static func batch(_ number: Int) -> String {
        let base = Timestamp(year: 2026, month: 11, day: 2)!
        let samples = (0..<samplesPerBatch).map { index in
            let start = base + .minutes(Int64(number * samplesPerBatch + index))
            return #"{"environment":"prod","service":"svc-\#(index % 4)","resource":"cpu_cores","quantity":\#(1 + index % 5),"start":"\#(start.rfc3339)","end":"\#((start + .minutes(1)).rfc3339)"}"#
        }
        return #"{"samples":[\#(samples.joined(separator: ","))]}"#
    }

    static func decision(_ requestID: String, service: Int) -> String {
        #"{"request_id":"\#(requestID)","environment":"prod","service":"svc-\#(service)","current_replicas":2,"desired_replicas":3,"per_replica":{"cpu_cores":1},"signals":[{"name":"queue_depth","value":300}]}"#
    }

    var auth: [String: String] { ["Authorization": "Bearer \(token)"] }

    func stop() { stopped.withLock { $0 = true } }
    var isStopped: Bool { stopped.withLock { $0 } }

    /// Runs `ingestWorkers` and `decisionWorkers` loops until `stop()`; connection failures are counted, not thrown.
    func run(ingestWorkers: Int, decisionWorkers: Int, firstBatch: Int = 0) async {
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<ingestWorkers {
                group.addTask {
                    var number = firstBatch + worker
                    while !self.isStopped && !Task.isCancelled {
                        self.state.withLock { $0.inFlight.append(number) }
                        let result = try? await HTTP.post(self.base + "/v1/tenants/acme/usage", headers: self.auth, body: Self.batch(number))
                        self.state.withLock { state in
                            state.inFlight.removeAll { $0 == number }
                            if result?.0 == 200 { state.batches.append(number) } else { state.failures += 1 }
                        }
                        if result?.0 != 200 { try? await Task.sleep(for: .milliseconds(50)) }
                        number += ingestWorkers
                    }
                }
            }
            for worker in 0..<decisionWorkers {
                group.addTask {
                    var sequence = 0
                    while !self.isStopped && !Task.isCancelled {
                        let requestID = "w\(worker)-\(firstBatch)-\(sequence)"
                        let result = try? await HTTP.post(self.base + "/v1/tenants/acme/decisions", headers: self.auth, body: Self.decision(requestID, service: worker % 4))
                        if let result, result.0 == 200, let id = Self.decisionID(result.1) {
                            self.state.withLock { $0.decisions.append((requestID, id, worker % 4)) }
                        } else {
                            self.state.withLock { $0.failures += 1 }
                            try? await Task.sleep(for: .milliseconds(50))
                        }
                        sequence += 1
                    }
                }
            }
        }
    }

    /// Waits until at least `count` batches and `count` decisions were acknowledged (a loaded CI machine may
    /// take a while for the first ones), so the fault always strikes in the middle of real traffic.
    func waitForAcknowledged(_ count: Int, timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if state.withLock({ $0.batches.count >= count && $0.decisions.count >= count }) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ServeProcessError("fewer than \(count) batches and decisions acknowledged within \(timeout)")
    }

    static func decisionID(_ body: String) -> String? {
        struct Answer: Decodable { var decision_id: String }
        return try? JSONDecoder().decode(Answer.self, from: Data(body.utf8)).decision_id
    }
}

@Suite("Faults: a killed server and a restarted database lose nothing acknowledged", .serialized, .timeLimit(.minutes(5)))
struct FaultTests {
    static let admin = "e2e-admin-token-0123456789"

    static func configure(_ base: String) async throws {
        let auth = ["Authorization": "Bearer \(admin)", "Content-Type": "application/json"]
        for (path, body) in [
            ("/v1/tenants/acme/rate-card", #"{"currency":"USD","effective_from":"2020-01-01T00:00:00Z","prices":{"cpu_cores":"0.06"}}"#),
            ("/v1/tenants/acme/environments/prod/cap", #"{"name":"prod-cap","period_spend":"1000000.00","hourly_run_rate":"100000.00"}"#),
        ] {
            let (status, text) = try await HTTP.send(base + path, method: .PUT, headers: auth, body: body)
            #expect(status == 201, "\(path): \(text)")
        }
        for service in 0..<4 {
            let (status, text) = try await HTTP.send(
                base + "/v1/tenants/acme/environments/prod/services/svc-\(service)/policy", method: .PUT, headers: auth,
                body: #"{"min_replicas":1,"max_replicas":100000,"scale_up":{"cooldown_seconds":0}}"#
            )
            #expect(status == 201, "\(text)")
        }
    }

    /// Everything acknowledged is stored once: acknowledged batches come back as duplicates, in-flight ones
    /// either wholly or not at all, and the rollups equal the cost of the stored samples exactly.
    static func verify(_ traffic: Traffic, base: String, store: BudgetStore) async throws {
        let acknowledged = traffic.state.withLock { $0 }
        #expect(!acknowledged.batches.isEmpty)
        #expect(!acknowledged.decisions.isEmpty)
        let auth = ["Authorization": "Bearer \(admin)"]
        for number in acknowledged.batches {
            let (status, text) = try await HTTP.post(base + "/v1/tenants/acme/usage", headers: auth, body: Traffic.batch(number))
            #expect(status == 200)
            #expect(text.contains(#""accepted":0"#) && text.contains(#""duplicates":\#(Traffic.samplesPerBatch)"#), "batch \(number): \(text)")
        }
        for number in acknowledged.inFlight {
            let (_, text) = try await HTTP.post(base + "/v1/tenants/acme/usage", headers: auth, body: Traffic.batch(number))
            #expect(text.contains(#""accepted":0"#) || text.contains(#""accepted":\#(Traffic.samplesPerBatch)"#), "in-flight batch \(number) half stored: \(text)")
        }
        for (requestID, decisionID, service) in acknowledged.decisions {
            let (status, _) = try await HTTP.get(base + "/v1/tenants/acme/decisions/\(decisionID)", headers: auth)
            #expect(status == 200, "decision \(decisionID) lost")
            let (_, again) = try await HTTP.post(base + "/v1/tenants/acme/decisions", headers: auth, body: Traffic.decision(requestID, service: service))
            #expect(again.contains(decisionID) && again.contains(#""repeated":true"#), "request \(requestID) answered anew: \(again)")
        }
        // Each one-minute sample of q cores costs q × 0.001 USD = q × 10⁶ nano-dollars.
        let stored = try await store.count("SELECT (coalesce(sum(quantity), 0) * 1000000)::int8 FROM usage_samples WHERE tenant_id = 'acme'")
        let daily = try await store.count("SELECT coalesce(sum(cost_nanos), 0)::int8 FROM cost_daily WHERE tenant_id = 'acme'")
        let hourly = try await store.count("SELECT coalesce(sum(cost_nanos), 0)::int8 FROM cost_hourly WHERE tenant_id = 'acme'")
        #expect(stored > 0)
        #expect(daily == stored, "daily rollups \(daily) ≠ stored samples \(stored)")
        #expect(hourly == stored, "hourly rollups \(hourly) ≠ stored samples \(stored)")
        // The running totals of live reservations match the reservations themselves.
        let mismatched = try await store.count(
            """
            SELECT count(*) FROM environment_state e
            WHERE e.tenant_id = 'acme' AND e.reserved_rate_nanos <> coalesce(
                (SELECT sum(rate_nanos) FROM reservations r WHERE r.tenant_id = e.tenant_id AND r.environment = e.environment AND r.ended_at IS NULL), 0)
            """
        )
        #expect(mismatched == 0)
    }

    @Test("SIGKILL during heavy ingest and decisions: a new server recovers by itself; nothing acknowledged is lost or counted twice; reservations lapse")
    func killedServer() async throws {
        let url = try await TestDatabase.make()
        let environment = ["DATABASE_URL": url.urlString, "CHARTLY_ADMIN_TOKEN": Self.admin]
        let first = try ServeProcess(arguments: ["--reservation-ttl-minutes", "1", "--rate-limit", "0"], environment: environment)
        try await first.waitUntilReady()
        try await Self.configure(first.baseURL)

        let traffic = Traffic(base: first.baseURL, token: Self.admin)
        async let load: Void = traffic.run(ingestWorkers: 4, decisionWorkers: 4)
        try await traffic.waitForAcknowledged(5)
        try await Task.sleep(for: .milliseconds(500))
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        try await Task.sleep(for: .milliseconds(300))
        traffic.stop()
        await load
        let killedAt = Timestamp.now()

        let second = try ServeProcess(arguments: ["--reservation-ttl-minutes", "1", "--rate-limit", "0"], environment: environment)
        defer { _ = try? second.process.terminate() }
        try await second.waitUntilReady()
        let store = BudgetStore(url: url, maximumConnections: 2, acquireTimeout: TestDatabase.acquireTimeout, logger: TestDatabase.testLogger)
        try await store.whileRunning {
            try await Self.verify(traffic, base: second.baseURL, store: store)
            let live = try await store.count("SELECT count(*) FROM reservations WHERE tenant_id = 'acme' AND ended_at IS NULL")
            #expect(live > 0, "the killed server's approved scale-ups hold headroom until they lapse")

            // Past the TTL, the next decision in the environment lapses every reservation made before the kill.
            let wait = killedAt + .seconds(65) - Timestamp.now()
            if wait > .zero { try await Task.sleep(for: .milliseconds(wait.microseconds / 1000)) }
            let (status, _) = try await HTTP.post(
                second.baseURL + "/v1/tenants/acme/decisions", headers: ["Authorization": "Bearer \(Self.admin)"], body: Traffic.decision("after-ttl", service: 1)
            )
            #expect(status == 200)
            let leaked = try await store.count(
                "SELECT count(*) FROM reservations WHERE tenant_id = 'acme' AND ended_at IS NULL AND created_at < \(killedAt)"
            )
            #expect(leaked == 0, "reservations outlived their expiry")
        }
    }

    @Test("PostgreSQL restarted mid-run: 503s while it is down, then the service recovers by itself with everything acknowledged intact")
    func restartedDatabase() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chartly-restart-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cluster = LocalPostgresCluster(
            configuration: LocalPostgresConfiguration(dataDirectory: directory, ephemeral: false, port: try freeStablePort()), logger: TestDatabase.testLogger
        )
        let info = try await cluster.start()
        let url = DatabaseURL(host: info.host, port: info.port, username: info.username, password: info.password, database: info.database)
        let server = try ServeProcess(arguments: ["--rate-limit", "0"], environment: ["DATABASE_URL": url.urlString, "CHARTLY_ADMIN_TOKEN": Self.admin])
        defer { _ = try? server.process.terminate() }
        do {
            try await server.waitUntilReady()
            try await Self.configure(server.baseURL)

            let traffic = Traffic(base: server.baseURL, token: Self.admin)
            async let load: Void = traffic.run(ingestWorkers: 3, decisionWorkers: 3)
            try await traffic.waitForAcknowledged(5)
            try await Task.sleep(for: .milliseconds(500))
            try await cluster.stop()
            // While the database is down the service answers, and says it is not ready.
            let (ready, _) = try await HTTP.get(server.baseURL + "/ready")
            #expect(ready == 503)
            let (health, _) = try await HTTP.get(server.baseURL + "/health")
            #expect(health == 200)
            try await Task.sleep(for: .seconds(1))
            _ = try await cluster.start()
            // Recovers by itself: ready again, and traffic is acknowledged again.
            var recovered = false
            for _ in 0..<100 {
                if let (status, _) = try? await HTTP.get(server.baseURL + "/ready"), status == 200 {
                    recovered = true
                    break
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(recovered)
            let before = traffic.state.withLock { $0.batches.count }
            let deadline = ContinuousClock.now + .seconds(60)
            while traffic.state.withLock({ $0.batches.count }) < before + 3, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            traffic.stop()
            await load
            #expect(traffic.state.withLock { $0.batches.count } > before, "ingest was acknowledged again after the restart")
            #expect(traffic.state.withLock { $0.failures } > 0, "the outage was seen by clients")

            let store = BudgetStore(url: url, maximumConnections: 2, acquireTimeout: TestDatabase.acquireTimeout, logger: TestDatabase.testLogger)
            try await store.whileRunning {
                try await Self.verify(traffic, base: server.baseURL, store: store)
            }
            // A request that was in flight when the database went away must not hold the shutdown.
            #expect(try await server.stop(timeout: .seconds(20)) == 0)
        } catch {
            try? await cluster.stop()
            throw error
        }
        try await cluster.stop()
    }
}
