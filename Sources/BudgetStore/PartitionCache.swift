import BudgetCore
import Synchronization

/// The partitions this process has already made sure of, so ingest only pays for partition DDL the first
/// time it meets a tenant's day (raw samples) or month (hourly rollups).
final class PartitionCache: Sendable {
    struct Key: Hashable, Sendable, Comparable {
        var parent: String
        var tenant: String
        /// The partition's lower bound.
        var start: Timestamp

        static func < (a: Key, b: Key) -> Bool { (a.tenant, a.parent, a.start) < (b.tenant, b.parent, b.start) }
    }

    private let known = Mutex<Set<Key>>([])

    static let microsecondsPerDay: Int64 = 86_400_000_000

    static func day(of timestamp: Timestamp) -> Int64 {
        let micros = timestamp.microsecondsSinceEpoch
        return micros >= 0 ? micros / microsecondsPerDay : (micros - microsecondsPerDay + 1) / microsecondsPerDay
    }

    /// The partitions a batch of `tenant`'s samples writes to: raw days, and months of both hourly rollups.
    static func keys(tenant: String, samples: [UsageSample]) -> Set<Key> {
        var keys: Set<Key> = []
        for sample in samples {
            keys.insert(Key(parent: "usage_samples", tenant: tenant, start: sample.start.startOfDay))
            let last = sample.end - .microseconds(1)
            for month in Set([sample.start.startOfMonth, last.startOfMonth]) {
                keys.insert(Key(parent: "cost_hourly", tenant: tenant, start: month))
                keys.insert(Key(parent: "cost_environment_hourly", tenant: tenant, start: month))
            }
        }
        return keys
    }

    /// The keys among `candidates` not yet known to exist, in lock order.
    func missing(_ candidates: Set<Key>) -> [Key] {
        known.withLock { known in candidates.subtracting(known).sorted() }
    }

    func remember(_ created: [Key]) {
        known.withLock { $0.formUnion(created) }
    }

    /// Forgets a tenant's partitions (after retention dropped some of them).
    func forget(tenant: String) {
        known.withLock { known in known = known.filter { $0.tenant != tenant } }
    }

    func forget() {
        known.withLock { $0.removeAll() }
    }
}
