import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Stops clusters still running when the process calls exit(), so a normal exit leaves nothing
/// behind at once; the watchdog covers the deaths that run no atexit handler.
enum ExitCleanup {
    struct Entry: Sendable {
        var postmasterProcessID: pid_t
        var dataDirectory: String
        var removeAfterStop: [String]
        var watchdog: Watchdog
    }

    private static let entries = LockedValue<(next: UInt64, running: [UInt64: Entry])>((0, [:]))

    private static let installHandler: Void = {
        atexit { ExitCleanup.stopAll() }
    }()

    static func register(_ entry: Entry) -> UInt64 {
        installHandler
        return entries.withLock { state in
            state.next += 1
            state.running[state.next] = entry
            return state.next
        }
    }

    static func unregister(_ token: UInt64) {
        _ = entries.withLock { $0.running.removeValue(forKey: token) }
    }

    private static func stopAll() {
        let running = entries.withLock { state in
            defer { state.running = [:] }
            return Array(state.running.values)
        }
        for entry in running {
            try? Postmaster.stop(processID: entry.postmasterProcessID, dataDirectory: entry.dataDirectory, gracePeriod: 15)
            try? FileSystem.removeItems(entry.removeAfterStop)
            entry.watchdog.cancel()
        }
    }
}
