import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

/// Carries bytes out of a reader thread; the DispatchGroup wait orders the access.
private final class DataBox: @unchecked Sendable {
    var value = Data()
}
