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
    /// `paths` names each sample in errors (e.g. `samples[3]`); it defaults to the index.
    public func ingest(tenant: String, samples: [UsageSample], paths: [String]? = nil) async throws -> IngestResult {
        let paths = paths ?? samples.indices.map { "samples[\($0)]" }
        let batch = try UsageBatch(samples: samples, paths: paths)
        guard !batch.unique.isEmpty else { return IngestResult(accepted: 0, duplicates: batch.repeatedInRequest) }

        try await ensureUsagePartitions(days: batch.days)
        let logger = self.logger
        let inserted = try await transaction("ingest") { connection in
            // Shared with other ingests, exclusive with a new rate-card version: prices cannot change mid-batch.
            try await connection.query(
                "SELECT pg_advisory_xact_lock_shared(\(Self.rateCardLockClass), hashtext(\(tenant)))", logger: logger
            )
            let history = try await Self.loadRateCards(tenant: tenant, on: connection, logger: logger)
            let pieces = try batch.price(with: history)
            let existing = try await Self.insert(batch, tenant: tenant, on: connection, logger: logger)
            var rollups = CostRollups()
            for (index, sample) in batch.unique.enumerated() where !existing.contains(index) {
                rollups.add(pieces[index], of: sample)
            }
            try await Self.upsert(rollups, tenant: tenant, on: connection, logger: logger)
            return batch.unique.count - existing.count
        }
        return IngestResult(accepted: inserted, duplicates: samples.count - inserted)
    }

    /// Adds the batch's cost to the hourly and daily rollups, in lock order.
    private static func upsert(_ rollups: CostRollups, tenant: String, on connection: PostgresConnection, logger: Logger) async throws {
        let hourly = rollups.sortedHourly
        if !hourly.isEmpty {
            try await connection.query(
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
            try await connection.query(
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
    }

    /// Inserts the batch's new samples; returns the indexes (into `batch.unique`) of those already stored.
    private static func insert(_ batch: UsageBatch, tenant: String, on connection: PostgresConnection, logger: Logger) async throws -> Set<Int> {
        let rows = try await connection.query(
            """
            WITH input AS (
                SELECT * FROM unnest(
                    \(batch.environments)::text[], \(batch.services)::text[], \(batch.resources)::text[],
                    \(batch.starts)::timestamptz[], \(batch.ends)::timestamptz[], \(batch.quantities)::float8[]
                ) WITH ORDINALITY AS t(environment, service, resource, start_at, end_at, quantity, ord)
            ),
            existing AS (
                SELECT i.ord, u.end_at, u.quantity
                FROM input i
                JOIN usage_samples u
                  ON u.tenant_id = \(tenant) AND u.environment = i.environment AND u.service = i.service
                 AND u.resource = i.resource AND u.start_at = i.start_at
            ),
            inserted AS (
                INSERT INTO usage_samples (tenant_id, environment, service, resource, start_at, end_at, quantity)
                SELECT \(tenant), i.environment, i.service, i.resource, i.start_at, i.end_at, i.quantity
                FROM input i
                WHERE NOT EXISTS (SELECT 1 FROM existing e WHERE e.ord = i.ord)
                ORDER BY i.ord
                ON CONFLICT DO NOTHING
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM inserted),
                   coalesce(array_agg(ord ORDER BY ord), '{}'),
                   coalesce(array_agg(end_at ORDER BY ord), '{}'),
                   coalesce(array_agg(quantity ORDER BY ord), '{}')
            FROM existing
            """,
            logger: logger
        )
        var existing: Set<Int> = []
        for try await (count, ordinals, ends, quantities) in rows.decode((Int, [Int], [Timestamp], [Double]).self) {
            for (position, ordinal) in ordinals.enumerated() {
                let index = ordinal - 1
                existing.insert(index)
                let sample = batch.unique[index]
                if sample.end != ends[position] || sample.quantity != quantities[position] {
                    throw StoreError(
                        .conflict,
                        code: "sample_conflict",
                        message: "sample \(sample.identity.description) is already stored with "
                            + "end \(ends[position].rfc3339) and quantity \(quantities[position]); "
                            + "a sample's values cannot change once accepted",
                        field: batch.paths[index]
                    )
                }
            }
            // Rows a concurrent request committed after our snapshot were skipped by ON CONFLICT:
            // run again so they are compared like any other stored sample.
            if count != batch.unique.count - ordinals.count {
                throw RetryTransaction(reason: "a concurrent ingest stored some of the same samples")
            }
        }
        return existing
    }
}

/// A request's samples made unique by identity and sorted, so concurrent writers lock rows in one order.
struct UsageBatch {
    var unique: [UsageSample]
    var paths: [String]
    var repeatedInRequest: Int
    var days: Set<Int64>

    init(samples: [UsageSample], paths: [String]) throws {
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
                        message: "sample \(sample.identity.description) appears twice in the request with different values (first at \(paths[earlier]))",
                        field: paths[index]
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
        self.paths = order.map { paths[$0] }
        repeatedInRequest = repeated
        days = Set(unique.map { PartitionCache.day(of: $0.start) })
    }

    /// Every sample's cost pieces under `history`; a sample that cannot be priced is refused by name.
    func price(with history: RateCardHistory) throws -> [[CostPiece]] {
        try unique.indices.map { index in
            do {
                return try CostModel.pieces(of: unique[index], history: history)
            } catch {
                throw StoreError(.unprocessable, code: "cost_overflow", message: "\(error)", field: "\(paths[index]).quantity")
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
