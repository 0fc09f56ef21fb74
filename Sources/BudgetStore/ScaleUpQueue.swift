import Logging
import Synchronization

/// Scale-ups of one environment, one at a time within this process, in the order they arrived.
///
/// A scale-up locks its environment's row in PostgreSQL (that lock is what keeps two replicas of the service
/// from spending the same headroom). Without this queue, every concurrent scale-up of a busy environment would
/// take a pooled connection only to wait on that row lock — a burst on one environment could hold the whole pool
/// and make every other tenant wait for a connection, and PostgreSQL would grant the lock in no particular order.
/// Here the waiting happens before a connection is taken, first come first served; the row lock still
/// serialises scale-ups that arrive through different replicas.
///
/// The line is an optimisation, never a new way to get stuck: a scale-up that has waited `maximumWait` (the
/// one ahead of it stuck on a dead connection, say) leaves the line and goes to the database as it would
/// without one, where the row lock still decides the order.
final class ScaleUpQueue: Sendable {
    private struct Key: Hashable {
        var tenant: String
        var environment: String
    }

    private struct Waiter {
        var id: UInt64
        /// Resumed with true when the environment is handed to it, false when it gave up waiting.
        var continuation: CheckedContinuation<Bool, Never>
        var timer: Task<Void, Never>
    }

    private struct State {
        /// For each environment with a scale-up running: the scale-ups waiting behind it, oldest first.
        var lines: [Key: [Waiter]] = [:]
        var lastID: UInt64 = 0
    }

    private let state = Mutex(State())
    let maximumWait: Duration
    private let logger: Logger?

    init(maximumWait: Duration = .seconds(2), logger: Logger? = nil) {
        self.maximumWait = maximumWait
        self.logger = logger
    }

    /// Runs `body` once no earlier scale-up of the environment is running in this process (or after
    /// `maximumWait`); at once when `environment` is nil (a decision that is not a scale-up takes no lock).
    func run<Result>(tenant: String, environment: String?, _ body: () async throws -> Result) async throws -> Result {
        guard let environment else { return try await body() }
        let key = Key(tenant: tenant, environment: environment)
        let holds = await enter(key)
        defer { if holds { leave(key) } }
        return try await body()
    }

    /// Scale-ups running or waiting in this line (for tests).
    func depth(tenant: String, environment: String) -> Int {
        state.withLock { state in state.lines[Key(tenant: tenant, environment: environment)].map { $0.count + 1 } ?? 0 }
    }

    /// True once the environment is this scale-up's; false if it waited `maximumWait` and goes on without it.
    private func enter(_ key: Key) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let admitted = state.withLock { state in
                if state.lines[key] == nil {
                    state.lines[key] = []
                    return true
                }
                state.lastID &+= 1
                let id = state.lastID
                let wait = maximumWait
                let timer = Task { [weak self] in
                    guard (try? await Task.sleep(for: wait)) != nil else { return }  // cancelled: it got its turn
                    self?.giveUp(key, id)
                }
                state.lines[key]!.append(Waiter(id: id, continuation: continuation, timer: timer))
                return false
            }
            if admitted { continuation.resume(returning: true) }
        }
    }

    /// Hands the environment to the next waiting scale-up, or forgets the environment when none waits.
    private func leave(_ key: Key) {
        let next = state.withLock { state -> Waiter? in
            guard var waiting = state.lines[key], !waiting.isEmpty else {
                state.lines[key] = nil
                return nil
            }
            let next = waiting.removeFirst()
            state.lines[key] = waiting
            return next
        }
        guard let next else { return }
        next.timer.cancel()
        next.continuation.resume(returning: true)
    }

    /// A waiter that is still in line after `maximumWait` leaves it (the one holding the environment keeps it).
    private func giveUp(_ key: Key, _ id: UInt64) {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.lines[key]?.firstIndex(where: { $0.id == id }) else { return nil }
            return state.lines[key]!.remove(at: index)
        }
        guard let waiter else { return }
        logger?.warning(
            "a scale-up waited \(maximumWait) behind another of its environment and goes to the database without waiting longer",
            metadata: ["tenant": "\(key.tenant)", "environment": "\(key.environment)"]
        )
        waiter.continuation.resume(returning: false)
    }
}
