import BudgetCore
import Synchronization

/// The days whose usage partition this process has already made sure of, so ingest
/// only pays for partition DDL the first time it meets a day.
final class PartitionCache: Sendable {
    private let days = Mutex<Set<Int64>>([])

    static let microsecondsPerDay: Int64 = 86_400_000_000

    static func day(of timestamp: Timestamp) -> Int64 {
        let micros = timestamp.microsecondsSinceEpoch
        return micros >= 0 ? micros / microsecondsPerDay : (micros - microsecondsPerDay + 1) / microsecondsPerDay
    }

    /// The days among `days` not yet known to exist.
    func missing(_ candidates: Set<Int64>) -> [Int64] {
        days.withLock { known in candidates.subtracting(known).sorted() }
    }

    func remember(_ created: [Int64]) {
        days.withLock { $0.formUnion(created) }
    }

    func forget() {
        days.withLock { $0.removeAll() }
    }
}
