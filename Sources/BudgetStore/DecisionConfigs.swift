import BudgetCore
import Synchronization

/// The configuration a decision reads — policy, caps, enforcing budgets, rate cards — as a replica last read it
/// for an environment and service, with the tenant's configuration generation it was read at (migration 018).
///
/// The snapshot statement sends the documents only when the tenant's generation is not the one given, so
/// most decisions read one number instead of building four JSON documents. Every write to the configuration
/// tables gives the tenant a new generation in the same transaction, and a generation is never given twice,
/// so an entry whose generation the database still reports is exactly what the statement would have read.
/// A tenant without a generation (0) is never taken from here. "Never given twice" holds for one server's
/// history: a failover to a standby that missed the last commits, or a restore to an earlier point, can give
/// a generation again, so an entry also names the server start it was read under (a promoted standby and a
/// restored server have another), and counts only while the database reports the same. Emptied when it
/// reaches `capacity` entries.
final class DecisionConfigs: Sendable {
    struct Key: Hashable, Sendable {
        var tenant: String
        var environment: String
        var service: String
    }

    struct Entry: Sendable {
        var generation: Int64
        /// When the PostgreSQL server it was read from started (`pg_postmaster_start_time()`).
        var serverStart: Timestamp
        var policy: ScalingPolicy?
        var caps: [Cap]
        var budgets: [Budget]
        var rateCards: RateCardHistory
    }

    private let entries = Mutex<[Key: Entry]>([:])
    private let capacity: Int

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    func entry(for key: Key) -> Entry? {
        entries.withLock { $0[key] }
    }

    func store(_ entry: Entry, for key: Key) {
        guard entry.generation != 0 else { return }
        entries.withLock { entries in
            if entries.count >= capacity, entries[key] == nil { entries.removeAll(keepingCapacity: true) }
            entries[key] = entry
        }
    }
}
