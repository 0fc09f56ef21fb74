import Foundation

/// A program to run: its path, arguments, environment and standard input.
struct Command: Sendable {
    var executable: String
    var arguments: [String]
    var environment: [String: String] = Command.cleanEnvironment()
    // "/" is reachable by every user, unlike the caller's working directory after a switch to `postgres`.
    var workingDirectory: String = "/"
    var standardInput: String? = nil

    /// The command line as it appears in error messages.
    var displayText: String { ([executable] + arguments).joined(separator: " ") }

    /// A minimal environment: the caller's PG* variables must not point our tools at another server.
    static func cleanEnvironment(adding extra: [String: String] = [:]) -> [String: String] {
        let inherited = ProcessInfo.processInfo.environment
        var environment = [
            "PATH": inherited["PATH"] ?? "/usr/local/bin:/usr/bin:/bin",
            "LC_ALL": "C",
            "LANG": "C",
        ]
        if let timeZone = inherited["TZ"] { environment["TZ"] = timeZone }
        environment.merge(extra) { $1 }
        return environment
    }
}

/// How a finished command ended and what it printed.
struct CommandOutput: Sendable {
    var status: Int32
    var standardOutput: String
    var standardError: String

    var succeeded: Bool { status == 0 }
}
