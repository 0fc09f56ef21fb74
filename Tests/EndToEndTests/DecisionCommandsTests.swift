import BudgetStore
import BudgetTestSupport
import Foundation
import Testing

@Suite("The built binary: apply, decide, replay, and two replicas on one database", .serialized, .timeLimit(.minutes(5)))
struct DecisionCommandsTests {
    static let admin = "e2e-admin-token-0123456789"

    static func budgetsDirectory(cap: String = "2.00") throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("budgets-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try """
            apiVersion: chartly.dev/v1
            kind: RateCard
            metadata: { tenant: acme }
            spec:
              currency: USD
              effective_from: 2020-01-01T00:00:00Z
              prices: { cpu_cores: 0.05 }
            ---
            apiVersion: chartly.dev/v1
            kind: EnvironmentCap
            metadata: { tenant: acme, environment: prod, name: prod-cap }
            spec:
              enforcement: deny
              hourly_run_rate: \(cap)
            """.write(toFile: directory + "/acme.yaml", atomically: true, encoding: .utf8)
        var policies = ""
        for service in 0..<8 {
            policies += """
                ---
                apiVersion: chartly.dev/v1
                kind: ScalingPolicy
                metadata: { tenant: acme, environment: prod, service: svc-\(service) }
                spec:
                  min_replicas: 1
                  max_replicas: 1000
                  scale_up: { cooldown_seconds: 0 }

                """
        }
        try policies.write(toFile: directory + "/policies.yaml", atomically: true, encoding: .utf8)
        return directory
    }

    @Test("apply prints a plan, applies it, and an invalid file names its file, line and field and changes nothing")
    func applyCommand() async throws {
        let url = try await TestDatabase.make()
        let server = try ServeProcess(environment: ["DATABASE_URL": url.urlString, "CHARTLY_ADMIN_TOKEN": Self.admin])
        defer { _ = try? server.process.terminate() }
        try await server.waitUntilReady()
        let directory = try Self.budgetsDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let client = ["--server", server.baseURL, "--token", Self.admin]

        let dry = try await ChartlyBinary.run(["apply", directory, "--dry-run"] + client)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("Plan: 10 to create, 0 to update, 0 to delete, 0 unchanged."), "\(dry.stdout)")
        #expect(dry.stdout.contains("Dry run: nothing changed."))
        let applied = try await ChartlyBinary.run(["apply", directory] + client)
        #expect(applied.stdout.contains("Applied in one transaction."), "\(applied.stdout)")
        try "apiVersion: chartly.dev/v1\nkind: EnvironmentCap\nmetadata: { tenant: acme, environment: prod, name: prod-cap }\nspec:\n  enforcement: deny\n  hourly_run_rate: 3.00\n"
            .write(toFile: directory + "/acme-cap.yaml", atomically: true, encoding: .utf8)
        try String(contentsOfFile: directory + "/acme.yaml", encoding: .utf8).components(separatedBy: "---")[0]
            .write(toFile: directory + "/acme.yaml", atomically: true, encoding: .utf8)
        let update = try await ChartlyBinary.run(["apply", directory] + client)
        #expect(update.stdout.contains("~ update"), "\(update.stdout)")
        #expect(update.stdout.contains("changed: hourly_run_rate"), "\(update.stdout)")

        try "apiVersion: chartly.dev/v1\nkind: ScalingPolicy\nmetadata: { tenant: acme, environment: prod, service: broken }\nspec:\n  min_replicas: 2\n  scale_up:\n    cooldown_seconds: soon\n"
            .write(toFile: directory + "/zz-broken.yaml", atomically: true, encoding: .utf8)
        let broken = try await ChartlyBinary.run(["apply", directory] + client)
        #expect(broken.status == 1)
        #expect(broken.stderr.contains("zz-broken.yaml:7: spec.scale_up.cooldown_seconds"), "\(broken.stderr)")
        let store = BudgetStore(url: url, maximumConnections: 1, acquireTimeout: TestDatabase.acquireTimeout, logger: TestDatabase.testLogger)
        let policies = try await store.whileRunning { try await store.count("SELECT count(*) FROM scaling_policies WHERE service = 'broken'") }
        #expect(policies == 0)
        try await server.stop()
    }

    @Test("decide exits 0 allow, 3 clamp, 4 deny; replay is identical; an unreachable service fails closed for a scale-up")
    func decideCommand() async throws {
        let url = try await TestDatabase.make()
        let directory = try Self.budgetsDirectory(cap: "1.00")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try ServeProcess(arguments: ["--budgets", directory], environment: ["DATABASE_URL": url.urlString, "CHARTLY_ADMIN_TOKEN": Self.admin])
        defer { _ = try? server.process.terminate() }
        try await server.waitUntilReady()
        let client = ["--server", server.baseURL, "--token", Self.admin]
        func decide(_ from: Int, _ to: Int, service: String = "svc-0") async throws -> (status: Int32, stdout: String, stderr: String) {
            try await ChartlyBinary.run(["decide", "--tenant", "acme", "--env", "prod", "--service", service, "--from", "\(from)", "--to", "\(to)", "--cpu", "2", "--signal", "queue_depth=120"] + client)
        }
        // 1.00/h, 0.10 per replica: 10 replicas of headroom.
        let allow = try await decide(1, 5)
        #expect(allow.status == 0, "\(allow.stdout) \(allow.stderr)")
        #expect(allow.stdout.hasPrefix("allow: svc-0 in prod 1 → 5 replicas"))
        let clamp = try await decide(5, 12, service: "svc-1")
        #expect(clamp.status == 3, "\(clamp.stdout)")
        #expect(clamp.stdout.contains("cap_hourly_run_rate: exceeded cap prod-cap"))
        let deny = try await decide(5, 6, service: "svc-2")
        #expect(deny.status == 4, "\(deny.stdout)")
        let id = try #require(deny.stdout.split(separator: "\n").last?.split(separator: " ").last.map(String.init))
        let replay = try await ChartlyBinary.run(["replay", id, "--tenant", "acme"] + client)
        #expect(replay.status == 0, "\(replay.stdout) \(replay.stderr)")
        #expect(replay.stdout.contains("identical"))
        try await server.stop()

        let port = try freePort()
        let closed = try await ChartlyBinary.run(["decide", "--tenant", "acme", "--env", "prod", "--service", "svc-0", "--from", "1", "--to", "2", "--signal", "queue_depth=1", "--server", "http://127.0.0.1:\(port)", "--token", Self.admin])
        #expect(closed.status == 4)
        #expect(closed.stdout.contains("failing closed"), "\(closed.stdout)")
        let down = try await ChartlyBinary.run(["decide", "--tenant", "acme", "--env", "prod", "--service", "svc-0", "--from", "3", "--to", "2", "--server", "http://127.0.0.1:\(port)", "--token", Self.admin])
        #expect(down.status == 1)
        #expect(down.stderr.contains("own min/max"), "\(down.stderr)")
    }

    @Test("two serve processes on one database: 64 concurrent scale-ups never exceed the headroom")
    func twoReplicas() async throws {
        let url = try await TestDatabase.make()
        let directory = try Self.budgetsDirectory(cap: "10.00")  // 100 replicas of 0.10/h
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let environment = ["DATABASE_URL": url.urlString, "CHARTLY_ADMIN_TOKEN": Self.admin]
        let first = try ServeProcess(arguments: ["--budgets", directory], environment: environment)
        let second = try ServeProcess(arguments: ["--budgets", directory], environment: environment)
        defer {
            _ = try? first.process.terminate()
            _ = try? second.process.terminate()
        }
        try await first.waitUntilReady()
        try await second.waitUntilReady()
        let increments = (0..<64).map { 1 + ($0 * 5) % 8 }
        let approved = try await withThrowingTaskGroup(of: Int.self) { group in
            for (index, increment) in increments.enumerated() {
                group.addTask {
                    let server = index % 2 == 0 ? first : second
                    let body = #"{"request_id":"r\#(index)","environment":"prod","service":"svc-\#(index % 8)","current_replicas":1,"desired_replicas":\#(1 + increment),"per_replica":{"cpu_cores":2},"signals":[{"name":"queue_depth","value":100}]}"#
                    let (status, text) = try await HTTP.post("\(server.baseURL)/v1/tenants/acme/decisions", headers: ["Authorization": "Bearer \(Self.admin)"], body: body)
                    guard status == 200 else { throw ServeProcessError("decision \(index): \(status) \(text)") }
                    struct Reserved: Decodable { var reserved_replicas: Int }
                    return try JSONDecoder().decode(Reserved.self, from: Data(text.utf8)).reserved_replicas
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(approved <= 100, "approved \(approved) replicas against a headroom of 100")
        #expect(approved >= 100 - increments.max()!, "approved \(approved): a request was denied while room for it remained")
        let store = BudgetStore(url: url, maximumConnections: 1, acquireTimeout: TestDatabase.acquireTimeout, logger: TestDatabase.testLogger)
        let live = try await store.whileRunning { try await store.liveReservations(tenant: "acme", environment: "prod") }
        #expect(live.ratePerHour.nanos == Int64(approved) * 100_000_000)
        try await first.stop()
        try await second.stop()
    }
}
