import Foundation

/// A real Prometheus Alertmanager (Debian's prometheus-alertmanager, installed by .ci/run) on a free port.
public final class AlertmanagerProcess: @unchecked Sendable {
    public let process = Process()
    public let port: Int
    let directory: String

    public init() throws {
        port = try freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("alertmanager-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "route:\n  receiver: sink\nreceivers:\n  - name: sink\n".write(toFile: directory + "/alertmanager.yml", atomically: true, encoding: .utf8)
        let binary = ["/usr/bin/prometheus-alertmanager", "/usr/bin/alertmanager"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let binary else { throw ServeProcessError("prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager; .ci/run does)") }
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--config.file=\(directory)/alertmanager.yml", "--storage.path=\(directory)/data",
            "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address=",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public func waitUntilReady() async throws {
        for _ in 0..<100 {
            if let (status, _) = try? await HTTP.get("\(baseURL)/-/ready"), status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ServeProcessError("Alertmanager did not become ready")
    }

    deinit {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

