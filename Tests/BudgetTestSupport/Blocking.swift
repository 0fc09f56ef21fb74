import Dispatch
import Foundation

/// Runs blocking work (reading a child's pipes, waiting for it to exit) on a Dispatch thread.
///
/// Swift's cooperative pool has one thread per core — two on CI. A `Task.detached` that blocks in
/// `readDataToEndOfFile()` holds one of them until the child exits, and two such tasks stop every other
/// test of the process (their connection pools never run, and they time out). Dispatch grows its own
/// threads instead.
public enum Blocking {
    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Runs `process` to completion with stdout and stderr read concurrently; returns status and output.
    public static func run(_ process: Process, separateStandardError: Bool = true) async throws -> (status: Int32, stdout: String, stderr: String) {
        let out = Pipe()
        let err = separateStandardError ? Pipe() : out
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let box = UncheckedProcess(process)
        return try await run {
            let errorData = LockedData()
            let readers = DispatchGroup()
            if separateStandardError {
                DispatchQueue.global().async(group: readers) { errorData.set(err.fileHandleForReading.readDataToEndOfFile()) }
            }
            let outData = out.fileHandleForReading.readDataToEndOfFile()
            readers.wait()
            box.process.waitUntilExit()
            return (box.process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errorData.get(), as: UTF8.self))
        }
    }
}

private struct UncheckedProcess: @unchecked Sendable {
    let process: Process
    init(_ process: Process) { self.process = process }
}

private final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ value: Data) { lock.withLock { data = value } }
    func get() -> Data { lock.withLock { data } }
}
