import Foundation
import NIOCore
import PostgresNIO

#if canImport(Glibc)
import Glibc
#endif

/// CPU time a benchmark phase costs, split three ways: the service (this process, less the load generator's
/// event loop), the load generator's event loop (its HTTP and TLS), and the PostgreSQL server's processes.
///
/// Latency on a saturated machine is set by CPU per request: with `c` requests in flight and `n` cores, the
/// mean latency is at least `c × cpu / n`. These figures say whether a latency goal can be met on this
/// machine at all, and how much of each request the load generator itself takes.
struct CPUAccount: Sendable {
    /// Seconds on a CPU, all threads of this process.
    var process: Double
    /// Seconds on a CPU of the load generator's event loop thread.
    var client: Double
    /// Seconds on a CPU per PostgreSQL process id (its backends and background processes).
    var postgres: [Int32: Double]

    struct PerRequest: Sendable {
        /// Milliseconds per request.
        var service: Double
        var client: Double
        var postgres: Double
    }

    /// Now. `clientLoop` is the load generator's own one-thread event loop; `postgres` lists PostgreSQL's
    /// process ids (`pg_stat_activity`), readable from /proc only when the server runs on this machine.
    static func sample(clientLoop: any EventLoop, postgres: PostgresClient) async throws -> CPUAccount {
        let client = try await clientLoop.submit { Self.clock(CLOCK_THREAD_CPUTIME_ID) }.get()
        var processes: [Int32: Double] = [:]
        for try await pid in try await postgres.query("SELECT pid FROM pg_stat_activity").decode(Int32.self) {
            if let seconds = scheduled(pid) { processes[pid] = seconds }
        }
        return CPUAccount(process: clock(CLOCK_PROCESS_CPUTIME_ID), client: client, postgres: processes)
    }

    /// What happened between `start` and `self`, per request. A PostgreSQL process that started meanwhile (a
    /// new pooled connection) counts whole; one that ended meanwhile is lost (none do while a benchmark runs).
    func since(_ start: CPUAccount, requests: Int) -> PerRequest {
        let count = Double(max(requests, 1))
        let postgresSeconds = postgres.reduce(0.0) { sum, entry in sum + entry.value - (start.postgres[entry.key] ?? 0) }
        let clientSeconds = client - start.client
        return PerRequest(
            service: (process - start.process - clientSeconds) * 1000 / count,
            client: clientSeconds * 1000 / count,
            postgres: postgresSeconds * 1000 / count
        )
    }

    private static func clock(_ id: clockid_t) -> Double {
        var time = timespec()
        clock_gettime(id, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// A process's time on a CPU (the first field of /proc/PID/schedstat, in ns), or nil when it is not on
    /// this machine or has gone.
    private static func scheduled(_ pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/schedstat", encoding: .utf8),
            let first = text.split(separator: " ").first, let nanoseconds = Double(first)
        else { return nil }
        return nanoseconds / 1e9
    }
}
