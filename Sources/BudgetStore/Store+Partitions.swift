import BudgetCore
import PostgresNIO

extension BudgetStore {
    /// Makes sure the daily usage partitions for `days` (days since the epoch, UTC) exist.
    func ensureUsagePartitions(days: Set<Int64>) async throws {
        let missing = partitions.missing(days)
        guard !missing.isEmpty else { return }
        let starts = missing.map { Timestamp(microsecondsSinceEpoch: $0 * PartitionCache.microsecondsPerDay) }
        let logger = self.logger
        try await withConnection { connection in
            try await connection.perform(
                "SELECT chartly_ensure_usage_partition((d AT TIME ZONE 'UTC')::date) FROM unnest(\(starts)::timestamptz[]) AS d",
                logger: logger
            )
        }
        partitions.remember(missing)
    }

    /// Makes sure partitions exist for every day from `from` to `to` inclusive (the service's look-ahead job).
    public func ensureUsagePartitions(from: Timestamp, to: Timestamp) async throws {
        let first = PartitionCache.day(of: from)
        let last = PartitionCache.day(of: to)
        guard first <= last else { return }
        try await ensureUsagePartitions(days: Set(first...last))
    }
}
