import Foundation
import Logging
import Testing
@testable import LocalPostgres
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Shared helpers: real clusters, real psql, real processes; every helper cleans up after itself.
enum TestSupport {
    static let logger = Logger(label: "LocalPostgresTests") { _ in SwiftLogNoOpLogHandler() }

    /// Runs `body` with a cluster and stops it afterwards, also when `body` throws.
    static func withCluster<T: Sendable>(
        _ configuration: LocalPostgresConfiguration,
        ownerProcessID: pid_t = getpid(),
        _ body: (LocalPostgresCluster) async throws -> T
    ) async throws -> T {
        let cluster = LocalPostgresCluster(configuration: configuration, logger: logger, ownerProcessID: ownerProcessID)
        do {
            let result = try await body(cluster)
            try await cluster.stop()
            return result
        } catch {
            try? await cluster.stop()
            throw error
        }
    }

    /// A fresh directory under /tmp (reachable by the `postgres` user), removed afterwards.
    static func withTemporaryDirectory<T: Sendable>(_ body: (String) async throws -> T) async throws -> T {
        let directory = "/tmp/lp-test-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        chmod(directory, 0o755)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try await body(directory)
    }

    /// Runs SQL over TCP with psql and returns its unaligned, tuples-only output.
    static func psql(_ info: PostgresConnectionInfo, _ sql: String) async throws -> String {
        let command = Command(
            executable: "/usr/bin/env",
            arguments: [
                "psql", "--no-psqlrc", "--tuples-only", "--no-align", "--set=ON_ERROR_STOP=1",
                "--host=\(info.host)", "--port=\(info.port)", "--username=\(info.username)",
                "--dbname=\(info.database)", "--command=\(sql)",
            ],
            environment: Command.cleanEnvironment(adding: ["PGPASSWORD": info.password, "PGCONNECT_TIMEOUT": "5"])
        )
        let output = try await ProcessRunner.run(command)
        guard output.succeeded else { throw LocalPostgresError.commandFailed(command, output) }
        return output.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Command lines of live processes that mention `dataDirectory` (postmaster, pg_ctl, watchdog).
    static func processes(mentioning dataDirectory: String) async throws -> [String] {
        let output = try await ProcessRunner.run(Command(executable: "/usr/bin/env", arguments: ["pgrep", "-af", "--", dataDirectory]))
        return output.standardOutput.split(separator: "\n").map(String.init)
    }

    /// Polls until `condition` holds or `seconds` pass.
    static func eventually(seconds: Double = 10, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }

    /// Asserts that nothing of the cluster in `dataDirectory` is still running.
    static func expectNothingRunning(_ dataDirectory: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let gone = try await eventually(seconds: 5) { try await processes(mentioning: dataDirectory).isEmpty }
        let leftovers = try await processes(mentioning: dataDirectory)
        #expect(gone, "still running: \(leftovers)", sourceLocation: sourceLocation)
    }

    /// A long `sleep` in its own process group, standing in for another process; the caller kills it.
    static func spawnSleeper() throws -> pid_t {
        try spawn(["/bin/sleep", "300"])
    }

    static func spawn(_ arguments: [String]) throws -> pid_t {
        let nullDevice = try ChildProcess.openNullDevice()
        defer { close(nullDevice) }
        let command = Command(executable: arguments[0], arguments: Array(arguments.dropFirst()))
        return try ChildProcess.spawn(command, standardInput: nullDevice, standardOutput: nullDevice, standardError: nullDevice)
    }

    /// Kills a process spawned by `spawn` together with its process group, and reaps it.
    static func killAndReap(_ processID: pid_t) {
        kill(-processID, SIGKILL)
        kill(processID, SIGKILL)
        _ = ChildProcess.waitForExit(processID)
    }
}
