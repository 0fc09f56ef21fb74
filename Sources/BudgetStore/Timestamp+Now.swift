import BudgetCore
import Foundation
import Synchronization

extension Timestamp {
    /// The service's clock: the wall clock, unless a simulation has set its own (`WallClock.simulate`).
    /// Lives outside BudgetCore on purpose: the core never reads a clock.
    public static func now() -> Timestamp {
        if let simulated = WallClock.simulated.withLock({ $0 }) { return simulated() }
        return WallClock.real()
    }
}

/// Where `Timestamp.now()` reads the time. Only `chartly-budget simulate` replaces it, to run the real
/// service (decisions, reservations, rollups, background jobs) on an accelerated clock in one process.
public enum WallClock {
    fileprivate static let simulated = Mutex<(@Sendable () -> Timestamp)?>(nil)

    /// The operating system's real-time clock.
    public static func real() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(microsecondsSinceEpoch: Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000)
    }

    /// Replaces the clock for the whole process (nil restores the real one).
    public static func simulate(_ clock: (@Sendable () -> Timestamp)?) {
        simulated.withLock { $0 = clock }
    }
}
