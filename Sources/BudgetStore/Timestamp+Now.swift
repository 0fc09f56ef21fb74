import BudgetCore
import Foundation

extension Timestamp {
    /// The wall clock now. Lives outside BudgetCore on purpose: the core never reads a clock.
    public static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(microsecondsSinceEpoch: Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000)
    }
}
