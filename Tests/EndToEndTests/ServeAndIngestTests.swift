import BudgetStore
import BudgetTestSupport
import Foundation
import Testing

@Suite("The built binary: serve, ingest, migrate", .serialized, .timeLimit(.minutes(5)))
struct ServeAndIngestTests {
    static let admin = "e2e-admin-token-0123456789"

    /// Writes `count` one-minute cpu samples as NDJSON (or CSV) and returns the path.
    static func writeFile(count: Int, csv: Bool, service: String = "api") throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("usage-\(UUID().uuidString).\(csv ? "csv" : "ndjson")").path
        var lines: [String] = csv ? ["environment,service,resource,quantity,start,end"] : []
        let base = 1_793_491_200  // 2026-11-01T00:00:00Z
        for index in 0..<count {
            let start = Date(timeIntervalSince1970: TimeInterval(base + index * 60)).ISO8601Format()
            let end = Date(timeIntervalSince1970: TimeInterval(base + index * 60 + 60)).ISO8601Format()
            lines.append(
                csv
                    ? "prod,\(service),cpu_cores,1.5,\(start),\(end)"
                    : #"{"environment":"prod","service":"\#(service)","resource":"cpu_cores","quantity":1.5,"start":"\#(start)","end":"\#(end)"}"#
            )
        }
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("serve on DATABASE_URL, ingest a file twice with the CLI: stored once", arguments: TestEngine.available)
    func ingestFileTwice(engine: TestEngine) async throws {
        let url = try await TestDatabase.make(engine: engine)
        let server = try ServeProcess(environment: ["DATABASE_URL": url.urlString, "CHARTLY_ADMIN_TOKEN": Self.admin])
        defer { _ = try? server.process.terminate() }
        try await server.waitUntilReady()

        let ndjson = try Self.writeFile(count: 12_000, csv: false)
        let csv = try Self.writeFile(count: 300, csv: true, service: "web")
        defer {
            try? FileManager.default.removeItem(atPath: ndjson)
            try? FileManager.default.removeItem(atPath: csv)
        }
        let first = try await ChartlyBinary.run(["ingest", ndjson, "--tenant", "acme", "--server", server.baseURL, "--token", Self.admin])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("accepted 12000, duplicates 0, rejected 0"), "\(first.stdout)")
        let again = try await ChartlyBinary.run(["ingest", ndjson, "--tenant", "acme", "--server", server.baseURL, "--token", Self.admin])
        #expect(again.stdout.contains("accepted 0, duplicates 12000, rejected 0"), "\(again.stdout)")
        let fromCSV = try await ChartlyBinary.run(["ingest", csv, "--tenant", "acme", "--server", server.baseURL, "--token", Self.admin])
        #expect(fromCSV.stdout.contains("accepted 300, duplicates 0, rejected 0"), "\(fromCSV.stdout) \(fromCSV.stderr)")

        let store = BudgetStore(url: url, maximumConnections: 1, acquireTimeout: TestDatabase.acquireTimeout, logger: TestDatabase.testLogger)
        let stored = try await store.whileRunning { try await store.count("SELECT count(*) FROM usage_samples WHERE tenant_id = 'acme'") }
        #expect(stored == 12_300)
        #expect(try await server.stop() == 0)
    }

    @Test("ingest reports bad lines with their numbers, stores the rest, and exits 5")
    func ingestRejectsBadLines() async throws {
        let url = try await TestDatabase.make()
        let server = try ServeProcess(environment: ["DATABASE_URL": url.urlString, "CHARTLY_ADMIN_TOKEN": Self.admin])
        defer { _ = try? server.process.terminate() }
        try await server.waitUntilReady()
        let path = try Self.writeFile(count: 3, csv: false)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text += "\n{\"environment\":\"prod\",\"service\":\"api\",\"resource\":\"cpu_cores\",\"quantity\":-1,\"start\":\"2026-11-02T00:00:00Z\",\"end\":\"2026-11-02T00:01:00Z\"}\nnot json\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await ChartlyBinary.run(["ingest", path, "--tenant", "acme", "--server", server.baseURL, "--token", Self.admin])
        #expect(result.status == 5)
        #expect(result.stdout.contains("accepted 3, duplicates 0, rejected 2"), "\(result.stdout)")
        #expect(result.stdout.contains("line 4"))
        #expect(result.stdout.contains("line 5"))
        try await server.stop()
    }

    @Test("ingest against a server that is not there fails with exit 1 and says so")
    func ingestWithoutServer() async throws {
        let path = try Self.writeFile(count: 1, csv: false)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let port = try freePort()
        let result = try await ChartlyBinary.run(["ingest", path, "--tenant", "acme", "--server", "http://127.0.0.1:\(port)", "--max-attempts", "1"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot reach"), "\(result.stderr)")
    }

    @Test("migrate applies the schema to an empty database (on Citus, distributes it), then has nothing to do", arguments: TestEngine.available)
    func migrateCommand(engine: TestEngine) async throws {
        let url = try await TestDatabase.makeEmpty(engine: engine)
        let first = try await ChartlyBinary.run(["migrate", "--database-url", url.urlString])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("applied: 001_usage.sql"), "\(first.stdout)")
        let second = try await ChartlyBinary.run(["migrate", "--database-url", url.urlString])
        #expect(second.stdout.contains("schema is up to date"))
        switch engine {
        case .postgres:
            #expect(!first.stdout.contains("Citus"))
        case .citus:
            #expect(first.stdout.contains("distributed table usage_samples by tenant_id"), "\(first.stdout)")
            #expect(first.stdout.contains("reference table api_tokens"), "\(first.stdout)")
            #expect(second.stdout.contains("the schema is distributed"), "\(second.stdout)")
        }
    }

    @Test("serve with no database starts the embedded cluster under .chartly, refuses a second serve, stops cleanly")
    func embeddedDefault() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chartly-embedded-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let server = try ServeProcess(workingDirectory: directory)
        defer { _ = try? server.process.terminate() }
        try await server.waitUntilReady()
        #expect(FileManager.default.fileExists(atPath: directory + "/.chartly/postgres/PG_VERSION"))
        let token = try #require(try? String(contentsOfFile: directory + "/.chartly/admin-token", encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/.chartly/admin-token")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(server.output.contains(token))
        // A first start migrates before the background jobs run: nothing failed on the way.
        #expect(!server.output.contains(#""level":"warning""#) && !server.output.contains(#""level":"error""#), "\(server.output)")
        let (status, body) = try await HTTP.post(
            "\(server.baseURL)/v1/tenants/acme/usage", headers: ["Authorization": "Bearer \(token)"],
            body: #"{"samples":[{"environment":"prod","service":"api","resource":"cpu_cores","quantity":1,"start":"2026-11-01T00:00:00Z","end":"2026-11-01T00:01:00Z"}]}"#
        )
        #expect(status == 200, "\(body)")

        let second = try await ChartlyBinary.run(["serve", "--port", "\(try freePort())"], workingDirectory: directory)
        #expect(second.status != 0)
        #expect((second.stderr + second.stdout).contains("in use"), "\(second.stderr)")

        #expect(try await server.stop(signal: SIGINT) == 0)
        #expect(try await Self.postgresRunning(in: directory) == false)

        // The same directory is reused: the sample is still there.
        let again = try ServeProcess(workingDirectory: directory)
        defer { _ = try? again.process.terminate() }
        try await again.waitUntilReady()
        #expect(!again.output.contains(token))
        let (_, repeatBody) = try await HTTP.post(
            "\(again.baseURL)/v1/tenants/acme/usage", headers: ["Authorization": "Bearer \(token)"],
            body: #"{"samples":[{"environment":"prod","service":"api","resource":"cpu_cores","quantity":1,"start":"2026-11-01T00:00:00Z","end":"2026-11-01T00:01:00Z"}]}"#
        )
        #expect(repeatBody == #"{"accepted":0,"duplicates":1}"#)
        #expect(try await again.stop() == 0)
        #expect(try await Self.postgresRunning(in: directory) == false)
    }

    @Test("a killed serve does not leave its embedded PostgreSQL running")
    func killedServe() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chartly-killed-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try ServeProcess(workingDirectory: directory)
        try await server.waitUntilReady()
        #expect(try await Self.postgresRunning(in: directory))
        try await server.stop(signal: SIGKILL)
        var running = true
        for _ in 0..<50 where running {
            try await Task.sleep(for: .milliseconds(200))
            running = try await Self.postgresRunning(in: directory)
        }
        #expect(running == false)
    }

    static func postgresRunning(in directory: String) async throws -> Bool {
        let result = try await Shell.run("/usr/bin/pgrep", ["-f", "postgres.*\(directory)"])
        return result.status == 0
    }
}

enum Shell {
    static func run(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let result = try await Blocking.run(process, separateStandardError: false)
        return (result.status, result.stdout)
    }
}
