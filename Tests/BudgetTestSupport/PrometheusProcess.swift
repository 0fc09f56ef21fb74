import Foundation

/// A real Prometheus server (Debian's `prometheus`, installed by .ci/run) on loopback, with its own
/// configuration and data directory; stopped by PID when the test is done with it.
public final class PrometheusProcess: @unchecked Sendable {
    public let process = Process()
    public let port: Int
    public let directory: String
    public let logPath: String

    /// Starts Prometheus with `configuration` (prometheus.yml text).
    public init(configuration: String) throws {
        let binary = ["/usr/bin/prometheus", "/usr/local/bin/prometheus"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let binary else { throw ServeProcessError("prometheus is not installed (apt-get install prometheus; .ci/run does)") }
        port = try freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("prometheus-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try configuration.write(toFile: directory + "/prometheus.yml", atomically: true, encoding: .utf8)
        logPath = directory + "/prometheus.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--config.file=\(directory)/prometheus.yml", "--storage.tsdb.path=\(directory)/data",
            "--web.listen-address=127.0.0.1:\(port)", "--web.enable-lifecycle",
        ]
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    public var baseURL: String { "http://127.0.0.1:\(port)" }
    public var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    public func waitUntilReady() async throws {
        for _ in 0..<200 {
            guard process.isRunning else { throw ServeProcessError("prometheus exited:\n\(output)") }
            if isListening(port: port), let (status, _) = try? await HTTP.get("\(baseURL)/-/ready"), status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ServeProcessError("Prometheus did not become ready:\n\(output)")
    }

    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// A Python helper process of a test (a fixture exporter), stopped by PID.
public final class PythonProcess: @unchecked Sendable {
    public let process = Process()

    public init(script: String, arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// SIGKILL: a child of the test runner may inherit a signal mask that blocks SIGTERM.
    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        var status: Int32 = 0
        waitpid(process.processIdentifier, &status, 0)
    }

    deinit { stop() }
}
