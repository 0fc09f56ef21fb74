import Foundation

/// The built `chartly-budget` binary, run as a user would run it.
public enum ChartlyBinary {
    /// Where `swift build` put the executable (next to the test bundle).
    public static var path: String {
        if let override = ProcessInfo.processInfo.environment["CHARTLY_BINARY"] { return override }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // On Linux the test runner is `<build>/debug/<package>PackageTests.xctest`.
        for _ in 0..<3 {
            let candidate = directory.appendingPathComponent("chartly-budget").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("chartly-budget").path
    }

    /// Runs the binary to completion; returns its exit status and output.
    public static func run(
        _ arguments: [String],
        environment: [String: String] = [:],
        workingDirectory: String? = nil
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        let process = makeProcess(arguments, environment: environment, workingDirectory: workingDirectory)
        return try await Blocking.run(process)
    }

    static func makeProcess(_ arguments: [String], environment: [String: String], workingDirectory: String?) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "DATABASE_URL")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        return process
    }
}

/// A `chartly-budget serve` process started by a test, with its output kept in a log file.
public final class ServeProcess: @unchecked Sendable {
    public let process: Process
    public let port: Int
    public let logPath: String
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts `serve` on a free port; `arguments` are added after `serve --port N`.
    public init(port: Int? = nil, arguments: [String] = [], environment: [String: String] = [:], workingDirectory: String? = nil) throws {
        self.port = try port ?? freePort()
        logPath = FileManager.default.temporaryDirectory.appendingPathComponent("chartly-serve-\(UUID().uuidString).log").path
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        // A fresh working directory by default, so the repository's own Budgets/ is not applied.
        let directory = workingDirectory ?? {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("chartly-serve-\(UUID().uuidString)").path
            try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            return path
        }()
        process = ChartlyBinary.makeProcess(["serve", "--port", "\(self.port)"] + arguments, environment: environment, workingDirectory: directory)
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    /// What the process printed so far.
    public var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits until `/ready` answers 200, or throws with the process output.
    public func waitUntilReady(timeout: Duration = .seconds(90)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw ServeProcessError("serve exited with \(process.terminationStatus):\n\(output)") }
            if let (status, _) = try? await HTTP.get("\(baseURL)/ready"), status == 200 { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw ServeProcessError("serve was not ready within \(timeout):\n\(output)")
    }

    /// Sends SIGTERM (or `signal`) and waits for the exit status.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(30)) async throws -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                kill(process.processIdentifier, SIGKILL)
                throw ServeProcessError("serve did not stop within \(timeout):\n\(output)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: logPath)
    }
}

public struct ServeProcessError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
