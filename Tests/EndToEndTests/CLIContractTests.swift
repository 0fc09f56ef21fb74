import BudgetTestSupport
import Foundation
import Testing

/// The command-line client and the OpenAPI document cannot drift: every request the client commands send, and
/// every answer they get, is recorded (`CHARTLY_HTTP_TRACE`) and checked against the served document by
/// `Fixtures/openapi_exchanges.py` (paths, parameters, request bodies, statuses, answer schemas).
@Suite("The CLI's requests and answers conform to the OpenAPI document", .serialized, .timeLimit(.minutes(5)))
struct CLIContractTests {
    static let admin = "e2e-admin-token-0123456789"
    static let checker = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/openapi_exchanges.py").path

    /// Every operation some client command calls; the trace must cover each, so a command that stops
    /// being traced (or stops being run here) fails the test.
    static let clientOperations: Set<String> = [
        "POST /v1/apply",
        "POST /v1/tenants/{tenant}/usage",
        "POST /v1/tenants/{tenant}/decisions",
        "POST /v1/tenants/{tenant}/decisions/{id}/replay",
        "GET /v1/tenants/{tenant}/costs",
        "GET /v1/tenants/{tenant}/environments/{environment}/status",
        "POST /v1/tenants/{tenant}/billed-costs",
        "GET /v1/tenants/{tenant}/doctor",
        "POST /v1/tokens",
        "GET /v1/tokens",
        "DELETE /v1/tokens/{id}",
    ]

    @Test("apply, ingest, decide, replay, status, import-focus, doctor and token commands, with good and bad input")
    func clientCommandsConform() async throws {
        let url = try await TestDatabase.make()
        let server = try ServeProcess(environment: ["DATABASE_URL": url.urlString, "CHARTLY_ADMIN_TOKEN": Self.admin])
        defer { _ = try? server.process.terminate() }
        try await server.waitUntilReady()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("cli-contract-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let trace = work + "/trace.jsonl"
        let client = ["--server", server.baseURL, "--token", Self.admin]
        func cli(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
            try await ChartlyBinary.run(arguments + client, environment: ["CHARTLY_HTTP_TRACE": trace])
        }

        let budgets = try DecisionCommandsTests.budgetsDirectory()
        defer { try? FileManager.default.removeItem(atPath: budgets) }
        #expect(try await cli(["apply", budgets, "--dry-run"]).status == 0)
        #expect(try await cli(["apply", budgets]).status == 0)

        let hour = 3_600
        let start = (Int(Date().timeIntervalSince1970) / hour - 3) * hour
        var lines = ""
        for index in 0..<3 {
            let from = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(start + index * hour)))
            let to = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(start + (index + 1) * hour)))
            lines += #"{"environment":"prod","service":"svc-0","resource":"cpu_cores","quantity":4,"start":"\#(from)","end":"\#(to)"}"# + "\n"
        }
        lines += #"{"environment":"prod","service":"svc-0","resource":"cpu_cores","quantity":-1,"start":"2026-01-01T00:00:00Z","end":"2026-01-01T01:00:00Z"}"# + "\n"
        try lines.write(toFile: work + "/usage.ndjson", atomically: true, encoding: .utf8)
        let ingested = try await cli(["ingest", work + "/usage.ndjson", "--tenant", "acme"])
        #expect(ingested.stdout.contains("accepted 3"), "\(ingested.stdout) \(ingested.stderr)")

        let decided = try await cli(["decide", "--tenant", "acme", "--env", "prod", "--service", "svc-1", "--from", "1", "--to", "3", "--cpu", "2", "--signal", "queue_depth=120", "--json"])
        #expect(decided.status == 0, "\(decided.stderr)")
        let decision = try #require(try JSONSerialization.jsonObject(with: Data(decided.stdout.utf8)) as? [String: Any])
        let id = try #require(decision["decision_id"] as? String)
        #expect(try await cli(["replay", id, "--tenant", "acme"]).status == 0)
        _ = try await cli(["decide", "--tenant", "acme", "--env", "prod", "--service", "svc-2", "--from", "1", "--to", "900", "--cpu", "64", "--signal", "queue_depth=120"])
        #expect(try await cli(["replay", "not-a-uuid", "--tenant", "acme"]).status != 0)

        #expect(try await cli(["status", "--tenant", "acme"]).status == 0)
        #expect(try await cli(["status", "--tenant", "acme", "--env", "prod", "--json"]).status == 0)
        _ = try await cli(["status", "--tenant", "acme", "--env", "nowhere"])
        _ = try await cli(["status", "--tenant", "globex", "--env", "prod", "--json"])  // no rate card: no currency

        try CostCommandsTests.focusFixture.write(toFile: work + "/focus.csv", atomically: true, encoding: .utf8)
        _ = try await cli(["import-focus", work + "/focus.csv", "--tenant", "acme"])
        _ = try await cli(["doctor", "--tenant", "acme"])

        let created = try await cli(["token", "create", "--name", "ci-agent", "--scope", "acme:decide", "--expires-at", "2030-01-01T00:00:00Z"])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(try await cli(["token", "list"]).status == 0)
        let listed = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let creation = listed.first { $0["method"] as? String == "POST" && $0["path"] as? String == "/v1/tokens" }
        let answer = creation?["response"] as? [String: Any]
        let tokenID = try #require(answer?["id"] as? String)
        #expect(try await cli(["token", "revoke", tokenID]).status == 0)
        _ = try await cli(["token", "revoke", "0000000000000000"])
        _ = try await cli(["token", "create", "--name", "bad", "--scope", "nobody"])

        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let document = try await Self.servedDocument(server.baseURL, into: work)
        check.arguments = ["python3", Self.checker, document, trace]
        let result = try await Blocking.run(check, separateStandardError: false)
        #expect(result.status == 0, "\(result.stdout)")
        for operation in Self.clientOperations {
            #expect(result.stdout.contains("  \(operation)\n"), "the trace never reached \(operation):\n\(result.stdout)")
        }
        #expect(!(try String(contentsOfFile: trace, encoding: .utf8).contains(Self.admin)), "the trace holds no token")
        try await server.stop()
    }

    /// The document the running service serves (what a client generator would read).
    static func servedDocument(_ baseURL: String, into directory: String) async throws -> String {
        let (status, body) = try await HTTP.get("\(baseURL)/openapi.yaml")
        #expect(status == 200)
        let path = directory + "/openapi.yaml"
        try body.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
