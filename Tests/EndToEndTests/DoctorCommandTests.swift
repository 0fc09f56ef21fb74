import BudgetTestSupport
import Foundation
import Testing

@Suite("chartly-budget doctor against a running service", .serialized, .timeLimit(.minutes(3)))
struct DoctorCommandTests {
    static let admin = "e2e-admin-token-0123456789"

    static func config(cooldown: Int, stagingCap: Bool, routes: String) -> String {
        var text = """
            apiVersion: chartly.dev/v1
            kind: ScalingPolicy
            metadata: { tenant: acme, environment: prod, service: api }
            spec:
              min_replicas: 2
              max_replicas: 40
              scale_up: { cooldown_seconds: \(cooldown) }
              scale_down: { cooldown_seconds: 300, safety_window_seconds: 600 }
            ---
            apiVersion: chartly.dev/v1
            kind: EnvironmentCap
            metadata: { tenant: acme, environment: prod, name: prod-cap }
            spec:
              enforcement: deny
              period_spend: 2000.00
            ---
            apiVersion: chartly.dev/v1
            kind: Budget
            metadata: { tenant: acme, environment: staging, name: staging-monthly }
            spec:
              period: month
              amount: 300.00

            """
        if stagingCap {
            text += """
                ---
                apiVersion: chartly.dev/v1
                kind: EnvironmentCap
                metadata: { tenant: acme, environment: staging, name: staging-cap }
                spec:
                  enforcement: deny
                  hourly_run_rate: 1.00

                """
        }
        return text + routes
    }

    static func route(_ name: String, url: String, format: String) -> String {
        """
        ---
        apiVersion: chartly.dev/v1
        kind: AlertRoute
        metadata: { tenant: acme, name: \(name) }
        spec:
          url: \(url)
          format: \(format)

        """
    }

    @Test("✗ with the reason for each gap and exit 6; ✓ for everything once the gaps are closed")
    func checklist() async throws {
        let alertmanager = try AlertmanagerProcess()
        try await alertmanager.waitUntilReady()
        let url = try await TestDatabase.make()
        let server = try ServeProcess(environment: ["DATABASE_URL": url.urlString, "CHARTLY_ADMIN_TOKEN": Self.admin])
        defer { _ = try? server.process.terminate() }
        try await server.waitUntilReady()
        let client = ["--server", server.baseURL, "--token", Self.admin]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let deadPort = try freePort()
        let broken = Self.config(
            cooldown: 0, stagingCap: false,
            routes: Self.route("alertmanager", url: alertmanager.baseURL, format: "alertmanager")
                + Self.route("pager", url: "http://127.0.0.1:\(deadPort)/hook", format: "chartly")
        )
        try broken.write(toFile: directory + "/acme.yaml", atomically: true, encoding: .utf8)
        let applied = try await ChartlyBinary.run(["apply", directory] + client)
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")

        let failing = try await ChartlyBinary.run(["doctor", "--tenant", "acme"] + client)
        #expect(failing.status == 6, "\(failing.stdout)\(failing.stderr)")
        let lines = failing.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("✓ scaling policies set min and max replicas — 1 policies, each with min and max replicas"), "\(failing.stdout)")
        #expect(lines.contains("✗ cooldowns and a scale-down safety window are defined — prod/api: scale_up.cooldown_seconds is 0"))
        #expect(lines.contains("✗ every environment has a hard cap — staging has no cap"))
        #expect(lines.contains { $0.hasPrefix("✗ alert routes exist and answer — pager: http://127.0.0.1:\(deadPort)/hook did not answer") })
        #expect(lines.contains { $0.hasPrefix("✓ retention is defined and enforced — raw samples 35 days, hourly rollups 3 months") })
        #expect(lines.contains { $0.hasPrefix("✓ metrics are exposed — /metrics answers") })
        #expect(lines.last == "3 of 6 checks failed.")

        try Self.config(cooldown: 120, stagingCap: true, routes: Self.route("alertmanager", url: alertmanager.baseURL, format: "alertmanager"))
            .write(toFile: directory + "/acme.yaml", atomically: true, encoding: .utf8)
        let fixed = try await ChartlyBinary.run(["apply", directory] + client)
        #expect(fixed.status == 0, "\(fixed.stdout)\(fixed.stderr)")
        let passing = try await ChartlyBinary.run(["doctor", "--tenant", "acme"] + client)
        #expect(passing.status == 0, "\(passing.stdout)\(passing.stderr)")
        #expect(passing.stdout.contains("✓ alert routes exist and answer — 1 routes answered"))
        #expect(passing.stdout.hasSuffix("All 6 checks passed.\n"))

        // A token without read on the tenant cannot run it.
        let refused = try await ChartlyBinary.run(["doctor", "--tenant", "globex", "--server", server.baseURL, "--token", "cbt_0000000000000000_nope"])
        #expect(refused.status == 1)
    }
}
