import ArgumentParser
import Foundation

/// The scaling contract's operator checklist against a running service's live configuration.
struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the operator checklist: policies bounded, cooldowns and safety window, a hard cap per environment, alert routes that answer, metrics exposed, retention defined.",
        discussion: "Prints ✓ or ✗ with the reason for each check; exits 6 when any check fails, 1 when the service cannot be asked."
    )

    @Option(name: .customLong("tenant"), help: "A tenant to check (repeat for several).")
    var tenants: [String]

    @OptionGroup var client: ClientOptions

    struct Answer: Decodable {
        struct Check: Decodable {
            var name: String
            var passed: Bool
            var detail: String
        }
        struct Database: Decodable {
            struct Citus: Decodable {
                struct Table: Decodable {
                    var name: String
                    var kind: String
                }
                var version: String
                var workers: [String]
                var tables: [Table]
            }
            var engine: String
            var citus: Citus?
            var tenant_node: String?
        }
        var tenant: String
        var passed: Bool
        var checks: [Check]
        var database: Database?
    }

    /// The metric names the scaling contract requires, and the one the service always keeps current.
    static let contractMetrics = ["cost_estimate", "replica_count", "scale_events_total", "queue_depth", "backlog_duration_seconds"]

    func validate() throws {
        guard !tenants.isEmpty else { throw ValidationError("name at least one --tenant") }
    }

    func run() async throws {
        let api = APIClient(options: client)
        var failed = 0
        var total = 0
        for tenant in tenants {
            let answer = try await api.send(.GET, "/v1/tenants/\(tenant)/doctor")
            guard answer.status == 200 else {
                throw ClientFailure("the server answered \(answer.status): \(answer.error?.message ?? answer.text)")
            }
            let report = try JSONDecoder().decode(Answer.self, from: answer.body)
            print("Operator checklist for tenant \(tenant) at \(client.baseURL)")
            if let database = report.database {
                print("  database: \(Self.describe(database))")
            }
            for check in report.checks {
                print(Self.line(passed: check.passed, name: check.name, detail: check.detail))
                total += 1
                if !check.passed { failed += 1 }
            }
            print("")
        }
        let metrics = await metricsCheck(api)
        print(Self.line(passed: metrics.passed, name: "metrics are exposed", detail: metrics.detail))
        total += 1
        if !metrics.passed { failed += 1 }
        print("")
        if failed > 0 {
            print("\(failed) of \(total) checks failed.")
            throw ExitCodes.checklistFailed
        }
        print("All \(total) checks passed.")
    }

    /// One line on where the data lives.
    static func describe(_ database: Answer.Database) -> String {
        guard let citus = database.citus else { return "PostgreSQL (one server)" }
        let count = { (kind: String) in citus.tables.filter { $0.kind == kind }.count }
        let local = citus.tables.filter { $0.kind == "local" }.map(\.name)
        return "Citus \(citus.version) on \(citus.workers.count) workers (\(citus.workers.joined(separator: ", "))); "
            + "\(count("distributed")) distributed tables, \(count("reference")) reference, \(local.count) local (\(local.joined(separator: ", ")))"
            + (database.tenant_node.map { "; this tenant's shards on \($0)" } ?? "")
    }

    static func line(passed: Bool, name: String, detail: String) -> String {
        "\(passed ? "✓" : "✗") \(name) — \(detail)"
    }

    /// `/metrics` answers in the text format with the gauges the service always keeps current; the names
    /// that appear only after a decision or priced usage are listed when missing.
    func metricsCheck(_ api: APIClient) async -> (passed: Bool, detail: String) {
        let answer: APIClient.Answer
        do {
            answer = try await api.send(.GET, "/metrics", timeout: .seconds(10))
        } catch {
            return (false, "\(client.baseURL)/metrics did not answer: \(error)")
        }
        guard answer.status == 200 else { return (false, "/metrics answered \(answer.status)") }
        let names = Set(answer.text.split(separator: "\n").compactMap { line -> String? in
            guard !line.hasPrefix("#"), let end = line.firstIndex(where: { $0 == "{" || $0 == " " }) else { return nil }
            return String(line[..<end])
        })
        guard names.contains("queue_depth"), names.contains("backlog_duration_seconds") else {
            return (false, "/metrics answers but without queue_depth and backlog_duration_seconds: the metrics refresher is not running")
        }
        let missing = Self.contractMetrics.filter { !names.contains($0) }
        if missing.isEmpty { return (true, "/metrics exposes every metric the contract names") }
        return (true, "/metrics answers; \(missing.joined(separator: ", ")) appear after the first decision or priced usage")
    }
}
