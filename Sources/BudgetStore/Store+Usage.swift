import BudgetCore
import Logging
import PostgresNIO

/// What an ingest request did, returned only after it committed.
public struct IngestResult: Sendable, Equatable, Codable {
    /// Samples stored now.
    public var accepted: Int
    /// Samples already stored (or repeated within the request) with the same values: not counted again.
    public var duplicates: Int

    public init(accepted: Int, duplicates: Int) {
        self.accepted = accepted
        self.duplicates = duplicates
    }
}

extension BudgetStore {
    /// Stores a batch of validated samples for `tenant` in one transaction.
    ///
    /// A sample whose identity is already stored with the same `end` and `quantity` is a duplicate;
    /// with different values it is a conflict, and then nothing of the batch is stored.
    /// Errors name a sample by its index in `samples` (e.g. `samples[3]`).
    public func ingest(tenant: String, samples: [UsageSample]) async throws -> IngestResult {
        let batch = try UsageBatch(samples: samples)
        guard !batch.unique.isEmpty else { return IngestResult(accepted: 0, duplicates: batch.repeatedInRequest) }

        try await ensureIngestPartitions(tenant: tenant, batch: batch)
        let logger = self.logger
        let inserted: Int
        do {
            inserted = try await insertPriced(batch, tenant: tenant, logger: logger)
        } catch let error as PSQLError where error.sqlState == "23514" && (error.serverInfo?[.message]?.hasPrefix("no partition") ?? false) {
            // Retention dropped a partition this process remembered: check again (and refuse if it is gone for good).
            partitions.forget(tenant: tenant)
            try await ensureIngestPartitions(tenant: tenant, batch: batch)
            inserted = try await insertPriced(batch, tenant: tenant, logger: logger)
        }
        return IngestResult(accepted: inserted, duplicates: samples.count - inserted)
    }

    /// The batch's partitions, or a clear refusal naming the first sample older than what retention keeps.
    private func ensureIngestPartitions(tenant: String, batch: UsageBatch) async throws {
        do {
            try await ensurePartitions(PartitionCache.keys(tenant: tenant, samples: batch.unique))
        } catch let error as PSQLError where error.sqlState == "CBR01" {
            let horizon = try await ingestHorizon(tenant: tenant)
            let index = horizon.flatMap { horizon in
                batch.unique.indices.first { batch.unique[$0].start < horizon || batch.unique[$0].start.startOfMonth < horizon.startOfMonth }
            }
            throw StoreError(
                .unprocessable, code: "retention_expired",
                message: "usage of tenant \(tenant) before \(horizon.map { String($0.rfc3339.prefix(10)) } ?? "the retention horizon") has been dropped by retention; older samples are refused",
                field: index.map { "\(batch.path($0)).start" } ?? "start"
            )
        }
    }

    private func insertPriced(_ batch: UsageBatch, tenant: String, logger: Logger) async throws -> Int {
        let engineCache = self.engineCache
        return try await transaction("ingest") { connection in
            let citus = try await engineCache.engine(on: connection, logger: logger).isCitus
            // Shared with other ingests, exclusive with a new rate-card version: prices cannot change mid-batch.
            try await connection.perform(
                "SELECT pg_advisory_xact_lock_shared(\(Self.rateCardLockClass), hashtext(\(tenant)))", logger: logger
            )
            let history = try await Self.loadRateCards(tenant: tenant, on: connection, logger: logger)
            let pieces = try batch.price(with: history)
            let existing = try await Self.insert(batch, tenant: tenant, citus: citus, on: connection, logger: logger)
            var rollups = CostRollups()
            for (index, sample) in batch.unique.enumerated() where !existing.contains(index) {
                rollups.add(pieces[index], of: sample)
            }
            try await Self.upsert(rollups, tenant: tenant, on: connection, logger: logger)
            return batch.unique.count - existing.count
        }
    }

    /// Adds the batch's cost to the hourly and daily rollups, in lock order: per service first, then per environment.
    static func upsert(_ rollups: CostRollups, tenant: String, on connection: PostgresConnection, logger: Logger) async throws {
        let hourly = rollups.sortedHourly
        if !hourly.isEmpty {
            try await connection.perform(
                """
                INSERT INTO cost_hourly (tenant_id, environment, service, resource, hour, rate_version, cost_nanos, quantity, last_end)
                SELECT \(tenant), e, s, r, h, v, c, q, l
                FROM unnest(
                    \(hourly.map(\.key.environment))::text[], \(hourly.map(\.key.service))::text[], \(hourly.map(\.key.resource.rawValue))::text[],
                    \(hourly.map(\.key.hour))::timestamptz[], \(hourly.map(\.key.version))::int4[], \(hourly.map(\.value.cost))::int8[],
                    \(hourly.map(\.value.quantity))::float8[], \(hourly.map(\.value.lastEnd))::timestamptz[]
                ) WITH ORDINALITY AS t(e, s, r, h, v, c, q, l, n)
                ORDER BY n
                ON CONFLICT (tenant_id, environment, service, resource, hour, rate_version) DO UPDATE
                SET cost_nanos = cost_hourly.cost_nanos + excluded.cost_nanos,
                    quantity = cost_hourly.quantity + excluded.quantity,
                    last_end = greatest(cost_hourly.last_end, excluded.last_end)
                """,
                logger: logger
            )
        }
        let daily = rollups.sortedDaily
        if !daily.isEmpty {
            try await connection.perform(
                """
                INSERT INTO cost_daily (tenant_id, environment, service, day, rate_version, cost_nanos)
                SELECT \(tenant), e, s, (d AT TIME ZONE 'UTC')::date, v, c
                FROM unnest(
                    \(daily.map(\.key.environment))::text[], \(daily.map(\.key.service))::text[], \(daily.map(\.key.day))::timestamptz[],
                    \(daily.map(\.key.version))::int4[], \(daily.map(\.value))::int8[]
                ) WITH ORDINALITY AS t(e, s, d, v, c, n)
                ORDER BY n
                ON CONFLICT (tenant_id, environment, day, service, rate_version) DO UPDATE
                SET cost_nanos = cost_daily.cost_nanos + excluded.cost_nanos
                """,
                logger: logger
            )
        }
        let environmentHourly = rollups.sortedEnvironmentHourly
        if !environmentHourly.isEmpty {
            try await connection.perform(
                """
                INSERT INTO cost_environment_hourly (tenant_id, environment, hour, cost_nanos, cpu_core_hours, memory_gib_hours, replica_hours)
                SELECT \(tenant), e, h, c, cpu, mem, rep
                FROM unnest(
                    \(environmentHourly.map(\.key.environment))::text[], \(environmentHourly.map(\.key.hour))::timestamptz[],
                    \(environmentHourly.map(\.value.cost))::int8[], \(environmentHourly.map(\.value.cpuCoreHours))::float8[],
                    \(environmentHourly.map(\.value.memoryGiBHours))::float8[], \(environmentHourly.map(\.value.replicaHours))::float8[]
                ) WITH ORDINALITY AS t(e, h, c, cpu, mem, rep, n)
                ORDER BY n
                ON CONFLICT (tenant_id, environment, hour) DO UPDATE
                SET cost_nanos = cost_environment_hourly.cost_nanos + excluded.cost_nanos,
                    cpu_core_hours = cost_environment_hourly.cpu_core_hours + excluded.cpu_core_hours,
                    memory_gib_hours = cost_environment_hourly.memory_gib_hours + excluded.memory_gib_hours,
                    replica_hours = cost_environment_hourly.replica_hours + excluded.replica_hours
                """,
                logger: logger
            )
        }
        let environmentDaily = rollups.sortedEnvironmentDaily
        if !environmentDaily.isEmpty {
            try await connection.perform(
                """
                INSERT INTO cost_environment_daily (tenant_id, environment, day, cost_nanos)
                SELECT \(tenant), e, (d AT TIME ZONE 'UTC')::date, c
                FROM unnest(\(environmentDaily.map(\.key.environment))::text[], \(environmentDaily.map(\.key.day))::timestamptz[], \(environmentDaily.map(\.value))::int8[])
                    WITH ORDINALITY AS t(e, d, c, n)
                ORDER BY n
                ON CONFLICT (tenant_id, environment, day) DO UPDATE SET cost_nanos = cost_environment_daily.cost_nanos + excluded.cost_nanos
                """,
                logger: logger
            )
        }
    }

    /// Inserts the batch's new samples; returns the indexes (into `batch.unique`) of those already stored.
    ///
    /// The insert relies on the primary key alone, whose use no planner estimate can change: a plain `INSERT`,
    /// and `ON CONFLICT DO NOTHING` only when a sample is already stored (`chartly_insert_usage`, migration 013).
    /// It answers only how many rows it wrote: in the common case of no duplicate that is all there is to know. Otherwise the stored rows this transaction did not write (`xmin` is not ours) are the skipped
    /// samples; they are read back and compared, so a changed value is a conflict.
    ///
    /// On Citus the batch goes to the shards through the coordinator, which neither lets the function catch a
    /// worker's unique violation nor reports how many rows `ON CONFLICT DO NOTHING` skipped (its row count is the
    /// batch's size): there the rows it wrote are counted as they are returned.
    private static func insert(
        _ batch: UsageBatch, tenant: String, citus: Bool, on connection: PostgresConnection, logger: Logger
    ) async throws -> Set<Int> {
        let rows = try await connection.query(
            citus
                ? """
                WITH stored AS (
                    INSERT INTO usage_samples (tenant_id, environment, service, resource, start_at, end_at, quantity)
                    SELECT \(tenant), e, s, r, st, en, q
                    FROM unnest(
                        \(batch.environments)::text[], \(batch.services)::text[], \(batch.resources)::text[],
                        \(batch.starts)::timestamptz[], \(batch.ends)::timestamptz[], \(batch.quantities)::float8[]
                    ) AS t(e, s, r, st, en, q)
                    ON CONFLICT DO NOTHING
                    RETURNING 1
                )
                SELECT count(*)::int8 FROM stored
                """
                : """
                SELECT chartly_insert_usage(
                    \(tenant), \(batch.environments)::text[], \(batch.services)::text[], \(batch.resources)::text[],
                    \(batch.starts)::timestamptz[], \(batch.ends)::timestamptz[], \(batch.quantities)::float8[]
                )
                """,
            logger: logger
        )
        var inserted = 0
        for try await count in rows.decode(Int64.self) { inserted = Int(count) }
        guard inserted < batch.unique.count else { return [] }
        return try await compareStored(batch, skipped: batch.unique.count - inserted, tenant: tenant, on: connection, logger: logger)
    }

    /// Reads back the batch's samples stored before this transaction (`skipped` of them) and refuses any whose
    /// values differ; returns their indexes into `batch.unique`.
    private static func compareStored(
        _ batch: UsageBatch, skipped: Int, tenant: String, on connection: PostgresConnection, logger: Logger
    ) async throws -> Set<Int> {
        let samples = batch.unique
        // Primary-key probes, even while a fresh partition's statistics still say it is empty.
        try await connection.perform("SET LOCAL enable_seqscan = off", logger: logger)
        let rows = try await connection.query(
            """
            SELECT k.n, u.end_at, u.quantity
            FROM unnest(\(samples.map(\.environment))::text[], \(samples.map(\.service))::text[], \(samples.map(\.resource.rawValue))::text[],
                        \(samples.map(\.start))::timestamptz[]) WITH ORDINALITY AS k(e, s, r, st, n)
            CROSS JOIN LATERAL (
                SELECT end_at, quantity, xmin FROM usage_samples
                WHERE tenant_id = \(tenant) AND environment = k.e AND service = k.s AND resource = k.r AND start_at = k.st
            ) AS u
            WHERE u.xmin <> pg_current_xact_id()::xid
            """,
            logger: logger
        )
        var existing: Set<Int> = []
        for try await (ordinal, end, quantity) in rows.decode((Int, Timestamp, Double).self) {
            let index = ordinal - 1
            existing.insert(index)
            let sample = batch.unique[index]
            if sample.end != end || sample.quantity != quantity {
                throw StoreError(
                    .conflict,
                    code: "sample_conflict",
                    message: "sample \(sample.identity.description) is already stored with "
                        + "end \(end.rfc3339) and quantity \(quantity); a sample's values cannot change once accepted",
                    field: batch.path(index)
                )
            }
        }
        try await connection.perform("SET LOCAL enable_seqscan = on", logger: logger)
        // A skipped sample that cannot be read back was deleted concurrently (retention): run again.
        if existing.count != skipped {
            throw RetryTransaction(reason: "samples skipped as duplicates are no longer stored")
        }
        return existing
    }
}

/// A request's samples made unique by identity and sorted, so concurrent writers lock rows in one order.
struct UsageBatch {
    var unique: [UsageSample]
    /// Each unique sample's index in the request.
    var origins: [Int]
    var repeatedInRequest: Int

    init(samples: [UsageSample]) throws {
        var firstIndex: [UsageIdentity: Int] = [:]
        firstIndex.reserveCapacity(samples.count)
        var order: [Int] = []
        order.reserveCapacity(samples.count)
        var repeated = 0
        for (index, sample) in samples.enumerated() {
            if let earlier = firstIndex[sample.identity] {
                let first = samples[earlier]
                guard first.end == sample.end, first.quantity == sample.quantity else {
                    throw StoreError(
                        .conflict,
                        code: "sample_conflict",
                        message: "sample \(sample.identity.description) appears twice in the request with different values (first at samples[\(earlier)])",
                        field: "samples[\(index)]"
                    )
                }
                repeated += 1
            } else {
                firstIndex[sample.identity] = index
                order.append(index)
            }
        }
        order.sort { samples[$0].identity < samples[$1].identity }
        unique = order.map { samples[$0] }
        origins = order
        repeatedInRequest = repeated
    }

    /// How errors name the unique sample at `index`: by its place in the request.
    func path(_ index: Int) -> String { "samples[\(origins[index])]" }

    /// Every sample's cost pieces under `history`; a sample that cannot be priced is refused by name.
    func price(with history: RateCardHistory) throws -> [[CostPiece]] {
        try unique.indices.map { index in
            do {
                return try CostModel.pieces(of: unique[index], history: history)
            } catch {
                throw StoreError(.unprocessable, code: "cost_overflow", message: "\(error)", field: "\(path(index)).quantity")
            }
        }
    }

    var environments: [String] { unique.map(\.environment) }
    var services: [String] { unique.map(\.service) }
    var resources: [String] { unique.map(\.resource.rawValue) }
    var starts: [Timestamp] { unique.map(\.start) }
    var ends: [Timestamp] { unique.map(\.end) }
    var quantities: [Double] { unique.map(\.quantity) }
}
