import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

/// Runs commands to completion without blocking Swift's cooperative thread pool.
enum ProcessRunner {
    /// Serialises pipe creation and spawning, so a pipe end opened for one child is already marked
    /// close-on-exec before any other child is spawned and can never leak into a long-lived postmaster.
    static let spawnLock = NSLock()

    static func run(_ command: Command) async throws -> CommandOutput {
        try await Offload.run { try runBlocking(command) }
    }

    static func runBlocking(_ command: Command) throws -> CommandOutput {
        let (processID, output, error, input) = try spawnLock.withLock {
            let output = try ChildProcess.makePipe()
            let errors = try ChildProcess.makePipe()
            let input = command.standardInput == nil ? nil : try ChildProcess.makePipe()
            let nullDevice = try ChildProcess.openNullDevice()
            defer {
                // The child has its own copies now; keeping a write end open here would hide EOF.
                for descriptor in [output.write, errors.write, input?.read ?? -1, nullDevice] where descriptor >= 0 {
                    close(descriptor)
                }
            }
            do {
                let processID = try ChildProcess.spawn(
                    command,
                    standardInput: input?.read ?? nullDevice,
                    standardOutput: output.write,
                    standardError: errors.write
                )
                return (processID, output.read, errors.read, input?.write)
            } catch {
                for descriptor in [output.read, errors.read, input?.write ?? -1] where descriptor >= 0 {
                    close(descriptor)
                }
                throw error
            }
        }

        if let input {
            let handle = FileHandle(fileDescriptor: input, closeOnDealloc: true)
            try? handle.write(contentsOf: Data((command.standardInput ?? "").utf8))
            try? handle.close()
        }
        // Both streams are drained at once so a chatty command never stalls on a full pipe.
        let errorData = DataBox()
        let readers = DispatchGroup()
        DispatchQueue.global().async(group: readers) {
            errorData.value = FileHandle(fileDescriptor: error, closeOnDealloc: true).readDataToEndOfFile()
        }
        let outputData = FileHandle(fileDescriptor: output, closeOnDealloc: true).readDataToEndOfFile()
        readers.wait()
        return CommandOutput(
            status: ChildProcess.waitForExit(processID),
            standardOutput: String(decoding: outputData, as: UTF8.self),
            standardError: String(decoding: errorData.value, as: UTF8.self)
        )
    }
}

/// Moves blocking work (waiting on a child, polling a pid) onto a Dispatch thread.
enum Offload {
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try work() })
            }
        }
    }
}

/// Carries bytes out of a reader thread; the DispatchGroup wait orders the access.
private final class DataBox: @unchecked Sendable {
    var value = Data()
}
