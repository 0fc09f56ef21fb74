import BudgetCore
import Foundation
import Logging
import PostgresNIO

/// What one retention run dropped.
public struct RetentionReport: Sendable, Equatable {
    public struct Dropped: Sendable, Equatable {
        public var tenant: String
        public var parent: String
        public var name: String
    }

    public var dropped: [Dropped] = []
    /// Partitions another replica was dropping at the same time, or that could not get their lock in time.
    public var skipped: Int = 0
}

extension BudgetStore {
    /// Makes sure the partitions behind `keys` exist; one that retention has dropped is refused.
    func ensurePartitions(_ keys: Set<PartitionCache.Key>) async throws {
        let missing = partitions.missing(keys)
        guard !missing.isEmpty else { return }
        let logger = self.logger
        try await withConnection { connection in
            try await connection.perform(
                """
                SELECT chartly_ensure_partition(p, t, s)
                FROM unnest(\(missing.map(\.parent))::text[], \(missing.map(\.tenant))::text[], \(missing.map(\.start))::timestamptz[]) AS k(p, t, s)
                """,
                logger: logger
            )
        }
        partitions.remember(missing)
    }

    /// Makes sure `tenant`'s raw-usage partitions exist for every day from `from` to `to` inclusive, and its
    /// hourly-rollup partitions for the months they touch.
    public func ensureUsagePartitions(tenant: String, from: Timestamp, to: Timestamp) async throws {
        var keys: Set<PartitionCache.Key> = []
        var day = from.startOfDay
        while day <= to {
            keys.insert(.init(parent: "usage_samples", tenant: tenant, start: day))
            for parent in ["cost_hourly", "cost_environment_hourly"] { keys.insert(.init(parent: parent, tenant: tenant, start: day.startOfMonth)) }
            day = day + .days(1)
        }
        try await ensurePartitions(keys)
    }

    /// The look-ahead job: for every tenant with partitions, the next `days` days of raw partitions and the
    /// hourly months they touch, so ingest at midnight does not wait on DDL. Returns how many were created.
    @discardableResult
    public func createPartitionsAhead(now: Timestamp, days: Int = 2) async throws -> Int {
        let logger = self.logger
        let tenants: [String] = try await withConnection { connection in
            let rows = try await connection.query("SELECT DISTINCT tenant_id FROM chartly_partitions ORDER BY 1", logger: logger)
            var tenants: [String] = []
            for try await tenant in rows.decode(String.self) { tenants.append(tenant) }
            return tenants
        }
        var created = 0
        for tenant in tenants {
            let before = partitions.missing(Self.aheadKeys(tenant: tenant, now: now, days: days)).count
            do {
                try await ensureUsagePartitions(tenant: tenant, from: now.startOfDay, to: now.startOfDay + .days(Int64(days)))
                created += before
            } catch let error as PSQLError where error.sqlState == "CBR01" {
                continue  // a tenant whose retention is shorter than the look-ahead cannot happen (3 days minimum); ignore
            }
        }
        return created
    }

    private static func aheadKeys(tenant: String, now: Timestamp, days: Int) -> Set<PartitionCache.Key> {
        var keys: Set<PartitionCache.Key> = []
        for offset in 0...days {
            let day = now.startOfDay + .days(Int64(offset))
            keys.insert(.init(parent: "usage_samples", tenant: tenant, start: day))
        }
        return keys
    }

    /// The retention job: for each tenant, drops whole raw-usage partitions older than its raw retention and
    /// hourly-rollup partitions older than its hourly retention (their cost stays in the daily rollups).
    ///
    /// The horizon is recorded first, so no ingest can recreate a dropped partition; each partition is then
    /// detached concurrently (ingest into the tenant's other partitions goes on) and dropped. Replicas may run
    /// it together: a partition is dropped once, by whoever holds its advisory lock.
    public func applyRetention(now: Timestamp, lockTimeout: TimeSpan = .seconds(5)) async throws -> RetentionReport {
        let logger = self.logger
        struct Candidate: Sendable {
            var tenant: String
            var parent: String
            var name: String
            var upper: Timestamp
        }
        // Every tenant with partitions, and its policy.
        let candidates: [Candidate] = try await withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT p.tenant_id, p.parent, p.name, p.upper_bound, s.raw_retention_days, s.hourly_retention_months
                FROM chartly_partitions p LEFT JOIN tenant_settings s ON s.tenant_id = p.tenant_id
                ORDER BY p.tenant_id, p.parent, p.lower_bound
                """,
                logger: logger
            )
            var candidates: [Candidate] = []
            for try await (tenant, parent, name, upper, raw, hourly) in rows.decode((String, String, String, Timestamp, Int?, Int?).self) {
                let policy = RetentionPolicy(rawDays: raw ?? RetentionPolicy.defaultRawDays, hourlyMonths: hourly ?? RetentionPolicy.defaultHourlyMonths)
                let horizon = parent == "usage_samples" ? policy.rawHorizon(at: now) : policy.hourlyHorizon(at: now)
                if upper <= horizon { candidates.append(Candidate(tenant: tenant, parent: parent, name: name, upper: upper)) }
            }
            return candidates
        }
        var report = RetentionReport()
        let citus = try await engine().isCitus
        // PostgreSQL allows one pending detach per partitioned table (every tenant's partitions hang off the same
        // parent since migration 020): one dropper per table across replicas, and a replica that finds it taken
        // leaves that table to the other.
        let groups = Dictionary(grouping: candidates) { $0.parent }
        for key in groups.keys.sorted() {
            let group = groups[key]!
            let first = group[0]
            let lockKey = "chartly_retention:\(first.parent)"
            let dropped: [Candidate]? = try await withConnection { connection in
                let locked = try await connection.query("SELECT pg_try_advisory_lock(hashtext(\(lockKey)))", logger: logger)
                var got = false
                for try await value in locked.decode(Bool.self) { got = value }
                guard got else { return nil }
                var dropped: [Candidate] = []
                do {
                    try await connection.perform(PostgresQuery(unsafeSQL: "SET lock_timeout = \(lockTimeout.microseconds / 1000)"), logger: logger)
                    for candidate in group {
                        if try await Self.dropPartition(
                            candidate.tenant, candidate.parent, candidate.name, upper: candidate.upper, citus: citus, on: connection, logger: logger
                        ) {
                            dropped.append(candidate)
                        }
                    }
                } catch let error as PSQLError where error.sqlState == "55P03" {
                    // lock_timeout: traffic held the table; the next run finishes the job.
                    logger.notice("retention postponed: the table was busy", metadata: ["table": "\(first.parent)"])
                } catch {
                    try? await connection.perform("RESET lock_timeout", logger: logger)
                    try? await connection.perform("SELECT pg_advisory_unlock(hashtext(\(lockKey)))", logger: logger)
                    throw error
                }
                try await connection.perform("RESET lock_timeout", logger: logger)
                try await connection.perform("SELECT pg_advisory_unlock(hashtext(\(lockKey)))", logger: logger)
                return dropped
            }
            guard let dropped else {
                report.skipped += group.count
                continue
            }
            report.skipped += group.count - dropped.count
            report.dropped += dropped.map { .init(tenant: $0.tenant, parent: $0.parent, name: $0.name) }
            for tenant in Set(dropped.map(\.tenant)) { partitions.forget(tenant: tenant) }
        }
        let summary = "dropped \(report.dropped.count) partitions, skipped \(report.skipped)"
        try await withConnection { connection in
            try await Self.recordMaintenanceRun(job: "retention", summary: summary, now: now, on: connection, logger: logger)
        }
        return report
    }

    /// Records the horizon, then detaches (finishing a detach a crash left pending) and drops one partition.
    /// Returns false when it was already gone.
    ///
    /// Citus does not detach concurrently; there the partition is dropped at once, which the coordinator
    /// propagates to its shards (it holds the parent's lock as long as that takes, a moment on one tenant's day).
    private static func dropPartition(
        _ tenant: String, _ parent: String, _ name: String, upper: Timestamp, citus: Bool, on connection: PostgresConnection, logger: Logger
    ) async throws -> Bool {
        // The horizon first: from now on no ingest recreates the partition.
        try await connection.perform(
            """
            INSERT INTO retention_horizons (tenant_id, parent, kept_from) VALUES (\(tenant), \(parent), \(upper))
            ON CONFLICT (tenant_id, parent) DO UPDATE SET kept_from = greatest(retention_horizons.kept_from, excluded.kept_from)
            """,
            logger: logger
        )
        let attachment = try await connection.query(
            """
            SELECT p.relname::text, i.inhdetachpending FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
            WHERE i.inhrelid = to_regclass(\(name))
            """,
            logger: logger
        )
        var parentTable: String?
        var detachPending = false
        for try await (table, pending) in attachment.decode((String, Bool).self) {
            parentTable = table
            detachPending = pending
        }
        if let parentTable, !citus {
            let mode = detachPending ? "FINALIZE" : "CONCURRENTLY"
            try await connection.perform(
                PostgresQuery(unsafeSQL: "ALTER TABLE \(quoted(parentTable)) DETACH PARTITION \(quoted(name)) \(mode)"), logger: logger
            )
        }
        let exists = try await connection.query("SELECT to_regclass(\(name)) IS NOT NULL", logger: logger)
        var present = false
        for try await value in exists.decode(Bool.self) { present = value }
        if present { try await connection.perform(PostgresQuery(unsafeSQL: "DROP TABLE \(quoted(name))"), logger: logger) }
        try await connection.perform("DELETE FROM chartly_partitions WHERE tenant_id = \(tenant) AND name = \(name)", logger: logger)
        return present
    }

    /// The oldest instant `tenant`'s raw samples may still start at, when retention has dropped anything:
    /// samples before it are refused (they could no longer be deduplicated).
    public func ingestHorizon(tenant: String) async throws -> Timestamp? {
        let logger = self.logger
        return try await withConnection { connection in
            let rows = try await connection.query(
                "SELECT max(kept_from) FROM retention_horizons WHERE tenant_id = \(tenant)", logger: logger
            )
            for try await value in rows.decode(Timestamp?.self) { return value }
            return nil
        }
    }

    /// Where retention has cut `parent` for `tenant` (nothing before it is kept), if it has.
    public func retentionHorizon(tenant: String, parent: String) async throws -> Timestamp? {
        let logger = self.logger
        return try await withConnection { connection in
            let rows = try await connection.query(
                "SELECT kept_from FROM retention_horizons WHERE tenant_id = \(tenant) AND parent = \(parent)", logger: logger
            )
            for try await value in rows.decode(Timestamp.self) { return value }
            return nil
        }
    }

    /// Partitions of a tenant as recorded, for operators and tests.
    public func partitionNames(tenant: String) async throws -> [(parent: String, name: String, lower: Timestamp)] {
        let logger = self.logger
        return try await withConnection { connection in
            let rows = try await connection.query(
                "SELECT parent, name, lower_bound FROM chartly_partitions WHERE tenant_id = \(tenant) ORDER BY parent, lower_bound", logger: logger
            )
            var names: [(parent: String, name: String, lower: Timestamp)] = []
            for try await (parent, name, lower) in rows.decode((String, String, Timestamp).self) { names.append((parent, name, lower)) }
            return names
        }
    }

    static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
