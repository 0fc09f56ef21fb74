import BudgetTestSupport
import Foundation
import Testing

@Suite("The service's JSON log lines", .serialized, .timeLimit(.minutes(3)))
struct StructuredLogTests {
    static let admin = "e2e-admin-token-0123456789"

    @Test("one JSON object per line; one line per decision with its signals and bounds, one per scale-related config change")
    func decisionAndConfigLines() async throws {
        let url = try await TestDatabase.make()
        let server = try ServeProcess(
            arguments: ["--log-format", "json"], environment: ["DATABASE_URL": url.urlString, "CHARTLY_ADMIN_TOKEN": Self.admin]
        )
        defer { _ = try? server.process.terminate() }
        try await server.waitUntilReady()
        let auth = ["Authorization": "Bearer \(Self.admin)", "Content-Type": "application/json"]
        for (path, body) in [
            ("/v1/tenants/acme/rate-card", #"{"currency":"USD","effective_from":"2020-01-01T00:00:00Z","prices":{"cpu_cores":"0.05"}}"#),
            ("/v1/tenants/acme/environments/prod/services/api/policy", #"{"min_replicas":1,"max_replicas":10,"scale_up":{"cooldown_seconds":0}}"#),
            ("/v1/tenants/acme/environments/prod/cap", #"{"name":"prod-cap","hourly_run_rate":"0.50"}"#),
        ] {
            let (status, text) = try await HTTP.send(server.baseURL + path, method: .PUT, headers: auth, body: body)
            #expect(status == 201, "\(path): \(text)")
        }
        let request = #"{"request_id":"log-1","environment":"prod","service":"api","current_replicas":2,"desired_replicas":12,"per_replica":{"cpu_cores":2},"signals":[{"name":"queue_depth","value":420}]}"#
        let (status, text) = try await HTTP.post(server.baseURL + "/v1/tenants/acme/decisions", headers: auth, body: request)
        #expect(status == 200, "\(text)")
        _ = try await server.stop()

        let lines = server.output.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(!lines.isEmpty)
        var objects: [[String: Any]] = []
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not a JSON object: \(line)")
            if let object { objects.append(object) }
        }
        #expect(objects.allSatisfy { $0["ts"] is String && $0["level"] is String && $0["message"] is String })

        let decisions = objects.filter { $0["message"] as? String == "scaling decision" }
        #expect(decisions.count == 1)
        let decision = try #require(decisions.first)
        #expect(decision["outcome"] as? String == "clamp")
        #expect(decision["service"] as? String == "api")
        #expect(decision["signals"] as? [String] == ["queue_depth=420"])
        let bounds = decision["bounds"] as? [String] ?? []
        #expect(bounds.contains { $0.hasPrefix("max_replicas:") }, "\(bounds)")
        #expect(bounds.contains { $0.hasPrefix("cap_hourly_run_rate:prod-cap limit=0.50") }, "\(bounds)")

        let changes = objects.filter { $0["message"] as? String == "configuration changed" }
        let kinds = Set(changes.compactMap { $0["kind"] as? String })
        #expect(kinds == ["rate_card", "scaling_policy", "cap"], "\(changes)")
        #expect(changes.allSatisfy { $0["actor"] as? String == "bootstrap" && $0["tenant"] as? String == "acme" })
    }
}
