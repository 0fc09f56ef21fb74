import Synchronization

/// Scale-ups of one environment, one at a time within this process, in the order they arrived.
///
/// A scale-up locks its environment's row in PostgreSQL (that lock is what keeps two replicas of the service
/// from spending the same headroom). Without this queue, every concurrent scale-up of a busy environment would
/// take a pooled connection only to wait on that row lock — a burst on one environment could hold the whole pool
/// and make every other tenant wait for a connection, and PostgreSQL would grant the lock in no particular order.
/// Here the waiting happens before a connection is taken, first come first served; the row lock still
/// serialises scale-ups that arrive through different replicas.
final class ScaleUpQueue: Sendable {
    private struct Key: Hashable {
        var tenant: String
        var environment: String
    }

    /// For each environment with a scale-up running: the scale-ups waiting behind it, oldest first.
    private let lines = Mutex<[Key: [CheckedContinuation<Void, Never>]]>([:])

    /// Runs `body` once no earlier scale-up of the environment is running in this process; at once when
    /// `environment` is nil (a decision that is not a scale-up takes no lock).
    func run<Result>(tenant: String, environment: String?, _ body: () async throws -> Result) async throws -> Result {
        guard let environment else { return try await body() }
        let key = Key(tenant: tenant, environment: environment)
        await enter(key)
        defer { leave(key) }
        return try await body()
    }

    /// Scale-ups running or waiting, per environment (for tests and metrics).
    func depth(tenant: String, environment: String) -> Int {
        lines.withLock { lines in lines[Key(tenant: tenant, environment: environment)].map { $0.count + 1 } ?? 0 }
    }

    private func enter(_ key: Key) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = lines.withLock { lines in
                if lines[key] == nil {
                    lines[key] = []
                    return true
                }
                lines[key]!.append(continuation)
                return false
            }
            if admitted { continuation.resume() }
        }
    }

    /// Hands the environment to the next waiting scale-up, or forgets the environment when none waits.
    private func leave(_ key: Key) {
        let next = lines.withLock { lines -> CheckedContinuation<Void, Never>? in
            guard var waiting = lines[key], !waiting.isEmpty else {
                lines[key] = nil
                return nil
            }
            let next = waiting.removeFirst()
            lines[key] = waiting
            return next
        }
        next?.resume()
    }
}
