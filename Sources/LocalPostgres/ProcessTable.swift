import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Questions about other processes, answered from kill(2) and, where it exists, /proc.
enum ProcessTable {
    /// Whether `processID` exists and is not a zombie waiting to be reaped.
    static func isAlive(_ processID: pid_t) -> Bool {
        // 0 and negative ids address process groups; 1 is never ours to judge.
        guard processID > 1 else { return false }
        if kill(processID, 0) != 0 && errno != EPERM { return false }
        return state(of: processID) != "Z"
    }

    /// Whether `processID` is a live PostgreSQL server process whose working directory is `dataDirectory`.
    static func isPostgres(_ processID: pid_t, servingDataDirectory dataDirectory: String) -> Bool {
        guard isAlive(processID) else { return false }
        if let name = commandName(of: processID), !(name.hasPrefix("postgres") || name.hasPrefix("postmaster")) {
            return false
        }
        // The postmaster changes into its data directory; a reused pid of another cluster does not match.
        guard let directory = workingDirectory(of: processID) else { return true }
        return directory == resolvedPath(dataDirectory)
    }

    static func commandName(of processID: pid_t) -> String? {
        FileSystem.readText("/proc/\(processID)/comm")?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The arguments of `processID` joined by spaces; nil when it is gone or /proc is unavailable.
    static func commandLine(of processID: pid_t) -> String? {
        guard let raw = FileManager.default.contents(atPath: "/proc/\(processID)/cmdline") else { return nil }
        return String(decoding: raw.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
    }

    /// Polls `condition` every 50 ms until it holds or `seconds` pass; true when it held.
    static func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() >= deadline { return false }
            usleep(50_000)
        }
        return true
    }

    /// Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. With the pid,
    /// it names one process for good, where a pid alone may be recycled.
    static func startTime(of processID: pid_t) -> String? {
        statFields(of: processID).flatMap { $0.count > 19 ? $0[19] : nil }
    }

    private static func state(of processID: pid_t) -> Character? {
        statFields(of: processID)?.first?.first
    }

    /// The fields of /proc/<pid>/stat from field 3 (state) on. The command name in field 2 may hold
    /// spaces and parentheses, so the split starts after the last ')'.
    private static func statFields(of processID: pid_t) -> [String]? {
        guard let stat = FileSystem.readText("/proc/\(processID)/stat"),
              let end = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: end)...].split(separator: " ").map(String.init)
    }

    private static func workingDirectory(of processID: pid_t) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(processID)/cwd")
    }

    private static func resolvedPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
