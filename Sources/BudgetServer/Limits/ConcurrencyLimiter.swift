import Synchronization

/// A bound on requests of one kind in flight; past it callers are refused at once, never queued.
public final class ConcurrencyLimiter: Sendable {
    public let limit: Int
    private let inFlight = Mutex(0)

    public init(limit: Int) {
        self.limit = limit
    }

    /// Runs `body` if a slot is free; otherwise returns nil without running it.
    func withSlot<T>(_ body: () async throws -> T) async rethrows -> T? {
        let acquired = inFlight.withLock { count -> Bool in
            guard count < limit else { return false }
            count += 1
            return true
        }
        guard acquired else { return nil }
        defer { inFlight.withLock { $0 -= 1 } }
        return try await body()
    }

    /// Requests in flight now (for metrics).
    public var current: Int { inFlight.withLock { $0 } }
}
