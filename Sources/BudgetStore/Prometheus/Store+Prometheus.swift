import BudgetCore
import Foundation
import Logging
import PostgresNIO

/// One series of a remote write (or a backfill), mapped: whose usage it is, and its samples.
public struct PrometheusSeriesSamples: Sendable {
    /// Hex SHA-256 (16 bytes) of the sorted labels: the series' identity.
    public var id: String
    public var metric: String
    /// `metric{label="value", …}`, for the status page.
    public var labels: String
    /// `mapping/index` of the rule that took it.
    public var rule: String
    public var environment: String
    public var service: String
    public var resource: Resource
    public var reading: PrometheusSeriesState.Reading
    /// Sorted by time, one per timestamp; staleness markers are Prometheus' special NaN.
    public var samples: [(timestamp: Int64, value: Double)]

    public init(
        id: String, metric: String, labels: String, rule: String, environment: String, service: String, resource: Resource,
        reading: PrometheusSeriesState.Reading, samples: [(timestamp: Int64, value: Double)]
    ) {
        self.id = id
        self.metric = metric
        self.labels = labels
        self.rule = rule
        self.environment = environment
        self.service = service
        self.resource = resource
        self.reading = reading
        self.samples = samples
    }
}

/// Samples dropped from a write, by metric name and reason (`no_rule`, `unmapped_environment`, …).
public struct PrometheusDropKey: Sendable, Hashable, Comparable {
    public var metric: String
    public var reason: String

    public init(metric: String, reason: String) {
        self.metric = metric
        self.reason = reason
    }

    public static func < (a: Self, b: Self) -> Bool { (a.metric, a.reason) < (b.metric, b.reason) }
}

/// What a remote write did, once committed.
public struct PrometheusWriteResult: Sendable, Equatable {
    /// Samples of mapped series received.
    public var samples: Int
    /// Samples at or before their series' newest: re-sent, not counted again.
    public var resent: Int
    /// Samples older than what retention keeps: dropped.
    public var expired: Int
    /// Stretches of usage added to the costs.
    public var pieces: Int
}

extension BudgetStore {
    /// How far behind a tenant's newest sample a series must fall before its last sample is counted without a
    /// successor: twice Prometheus' staleness, so remote-write shards that lag one another lose nothing.
    public static let prometheusCloseAfterMilliseconds: Int64 = 600_000

    /// Counts a remote write's samples in one transaction: the series' newest samples move forward, the usage
    /// they complete is priced into the rollups, and the drops are recorded. Nothing is counted twice: a sample
    /// at or before its series' newest is a re-send.
    public func ingestPrometheus(
        tenant: String, series: [PrometheusSeriesSamples], dropped: [PrometheusDropKey: Int], now: Timestamp
    ) async throws -> PrometheusWriteResult {
        let times = series.flatMap { $0.samples.map(\.timestamp) }
        var expiredBefore: Int64?
        if let first = times.min(), let last = times.max() {
            do {
                try await ensurePrometheusPartitions(tenant: tenant, from: first - PrometheusMapping.stalenessMilliseconds, to: last)
            } catch let error as PSQLError where error.sqlState == "CBR01" {
                // Older than retention keeps (the hourly rollups' horizon): those samples are dropped and counted,
                // the rest are stored. A kept sample may complete usage up to 5 minutes before it.
                guard let horizon = try await retentionHorizon(tenant: tenant, parent: "cost_hourly") else { throw error }
                let cut = horizon.microsecondsSinceEpoch / 1000 + PrometheusMapping.stalenessMilliseconds
                expiredBefore = cut
                if last >= cut { try await ensurePrometheusPartitions(tenant: tenant, from: max(first, cut) - PrometheusMapping.stalenessMilliseconds, to: last) }
            }
        }
        var kept = series
        var expired = 0
        if let expiredBefore {
            for index in kept.indices {
                let before = kept[index].samples.count
                kept[index].samples.removeAll { $0.timestamp < expiredBefore }
                expired += before - kept[index].samples.count
            }
        }
        var drops = dropped
        if expired > 0 {
            for entry in series {
                let count = entry.samples.count { $0.timestamp < expiredBefore! }
                if count > 0 { drops[PrometheusDropKey(metric: entry.metric, reason: "retention"), default: 0] += count }
            }
        }
        let received = kept.sorted { $0.id < $1.id }
        let logger = self.logger
        let needed: Set<PartitionCache.Key>
        do {
            return try await prometheusTransaction(tenant: tenant, series: received, dropped: drops, expired: expired, now: now, logger: logger)
        } catch let missing as MissingPrometheusPartitions {
            needed = missing.keys
        }
        // A series idle since an earlier month completes usage there: make its partitions and write again.
        try await ensurePartitions(needed)
        return try await prometheusTransaction(tenant: tenant, series: received, dropped: drops, expired: expired, now: now, logger: logger)
    }

    private func ensurePrometheusPartitions(tenant: String, from first: Int64, to last: Int64) async throws {
        var keys: Set<PartitionCache.Key> = []
        var month = Timestamp(microsecondsSinceEpoch: first * 1000).startOfMonth
        let end = Timestamp(microsecondsSinceEpoch: last * 1000)
        while month <= end {
            keys.insert(.init(parent: "cost_hourly", tenant: tenant, start: month))
            keys.insert(.init(parent: "cost_environment_hourly", tenant: tenant, start: month))
            month = (month + .hours(24 * 32)).startOfMonth
        }
        try await ensurePartitions(keys)
    }

    private struct MissingPrometheusPartitions: Error {
        var keys: Set<PartitionCache.Key>
    }

    private func prometheusTransaction(
        tenant: String, series: [PrometheusSeriesSamples], dropped: [PrometheusDropKey: Int], expired: Int, now: Timestamp, logger: Logger
    ) async throws -> PrometheusWriteResult {
        let partitions = self.partitions
        return try await transaction("prometheus-write") { connection in
            var result = PrometheusWriteResult(samples: series.reduce(0) { $0 + $1.samples.count }, resent: 0, expired: expired, pieces: 0)
            var rollups = CostRollups()
            var newest: Int64?
            if !series.isEmpty {
                try await connection.perform(
                    "SELECT pg_advisory_xact_lock_shared(\(Self.rateCardLockClass), hashtext(\(tenant)))", logger: logger
                )
                let history = try await Self.loadRateCards(tenant: tenant, on: connection, logger: logger)
                // New series first (in id order, as every writer), then every series of the write locked in that order.
                try await connection.perform(
                    """
                    INSERT INTO prometheus_series (tenant_id, series_id, metric, labels, rule, environment, service, resource, counter)
                    SELECT \(tenant), i, m, l, r, e, s, res, c
                    FROM unnest(
                        \(series.map(\.id))::text[], \(series.map(\.metric))::text[], \(series.map(\.labels))::text[], \(series.map(\.rule))::text[],
                        \(series.map(\.environment))::text[], \(series.map(\.service))::text[], \(series.map(\.resource.rawValue))::text[],
                        \(series.map(\.reading.counter))::bool[]
                    ) WITH ORDINALITY AS t(i, m, l, r, e, s, res, c, n)
                    ORDER BY n
                    ON CONFLICT (tenant_id, series_id) DO NOTHING
                    """,
                    logger: logger
                )
                let rows = try await connection.query(
                    """
                    SELECT series_id, environment, service, resource, last_at, last_value, interval_ms, ended
                    FROM prometheus_series WHERE tenant_id = \(tenant) AND series_id = ANY(\(series.map(\.id))::text[])
                    ORDER BY series_id FOR UPDATE
                    """,
                    logger: logger
                )
                var stored: [String: (environment: String, service: String, resource: String, state: PrometheusSeriesState)] = [:]
                for try await (id, environment, service, resource, lastAt, lastValue, interval, ended) in rows.decode(
                    (String, String, String, String, Timestamp?, Double?, Int64?, Bool).self
                ) {
                    let state = PrometheusSeriesState(
                        lastAt: lastAt.map { $0.microsecondsSinceEpoch / 1000 }, lastValue: lastValue, intervalMilliseconds: interval, ended: ended
                    )
                    stored[id] = (environment, service, resource, state)
                }
                var updated: [(entry: PrometheusSeriesSamples, state: PrometheusSeriesState)] = []
                updated.reserveCapacity(series.count)
                for entry in series {
                    guard let row = stored[entry.id] else { throw RetryTransaction(reason: "a new Prometheus series is not visible yet") }
                    var state = row.state
                    let (pieces, resent) = state.advance(with: entry.samples, reading: entry.reading, isStale: Self.isStaleMarker)
                    result.resent += resent
                    // Usage the newest sample completes belongs where the series was when that sample came.
                    let owner = (Resource(rawValue: row.resource) ?? entry.resource, row.environment, row.service)
                    for piece in pieces {
                        try Self.add(piece, environment: owner.1, service: owner.2, resource: owner.0, history: history, into: &rollups)
                        result.pieces += 1
                    }
                    if let last = entry.samples.last?.timestamp { newest = max(newest ?? last, last) }
                    updated.append((entry, state))
                }
                let changed = updated.filter { $0.state != stored[$0.entry.id]!.state || stored[$0.entry.id]!.environment != $0.entry.environment
                    || stored[$0.entry.id]!.service != $0.entry.service || stored[$0.entry.id]!.resource != $0.entry.resource.rawValue }
                if !changed.isEmpty {
                    try await connection.perform(
                        """
                        UPDATE prometheus_series p
                        SET rule = t.r, environment = t.e, service = t.s, resource = t.res, counter = t.c,
                            last_at = t.la, last_value = nullif(t.lv, 'NaN'), interval_ms = nullif(t.iv, -1), ended = t.en, updated_at = \(now)
                        FROM unnest(
                            \(changed.map(\.entry.id))::text[], \(changed.map(\.entry.rule))::text[], \(changed.map(\.entry.environment))::text[],
                            \(changed.map(\.entry.service))::text[], \(changed.map(\.entry.resource.rawValue))::text[], \(changed.map(\.entry.reading.counter))::bool[],
                            \(changed.map { Timestamp(microsecondsSinceEpoch: ($0.state.lastAt ?? 0) * 1000) })::timestamptz[],
                            \(changed.map { $0.state.lastValue ?? .nan })::float8[], \(changed.map { $0.state.intervalMilliseconds ?? -1 })::int8[],
                            \(changed.map(\.state.ended))::bool[]
                        ) AS t(i, r, e, s, res, c, la, lv, iv, en)
                        WHERE p.tenant_id = \(tenant) AND p.series_id = t.i
                        """,
                        logger: logger
                    )
                }
                let keys = rollups.partitionKeys(tenant: tenant)
                let missing = partitions.missing(keys)
                if !missing.isEmpty { throw MissingPrometheusPartitions(keys: Set(missing)) }
                try await Self.upsert(rollups, tenant: tenant, on: connection, logger: logger)
            }
            let droppedTotal = dropped.values.reduce(0, +)
            try await connection.perform(
                """
                INSERT INTO prometheus_writes AS w (tenant_id, last_write_at, last_sample_at, writes, samples, resent, dropped)
                VALUES (\(tenant), \(now), \(newest.map { Timestamp(microsecondsSinceEpoch: $0 * 1000) }), 1, \(result.samples), \(result.resent), \(droppedTotal))
                ON CONFLICT (tenant_id) DO UPDATE
                SET last_write_at = excluded.last_write_at, last_sample_at = greatest(w.last_sample_at, excluded.last_sample_at),
                    writes = w.writes + 1, samples = w.samples + excluded.samples, resent = w.resent + excluded.resent,
                    dropped = w.dropped + excluded.dropped
                """,
                logger: logger
            )
            if !dropped.isEmpty {
                let keys = dropped.keys.sorted()
                try await connection.perform(
                    """
                    INSERT INTO prometheus_dropped AS d (tenant_id, metric, reason, samples, last_at)
                    SELECT \(tenant), m, r, c, \(now)
                    FROM unnest(\(keys.map(\.metric))::text[], \(keys.map(\.reason))::text[], \(keys.map { Int64(dropped[$0]!) })::int8[]) WITH ORDINALITY AS t(m, r, c, n)
                    ORDER BY n
                    ON CONFLICT (tenant_id, metric, reason) DO UPDATE SET samples = d.samples + excluded.samples, last_at = excluded.last_at
                    """,
                    logger: logger
                )
            }
            return result
        }
    }

    static func isStaleMarker(_ value: Double) -> Bool { value.bitPattern == 0x7ff0_0000_0000_0002 }

    /// Prices one stretch of a series' usage into the rollups, as ingest prices a sample.
    static func add(
        _ piece: PrometheusSeriesState.Piece, environment: String, service: String, resource: Resource, history: RateCardHistory,
        into rollups: inout CostRollups
    ) throws {
        let sample = UsageSample(
            environment: environment, service: service, resource: resource, quantity: piece.quantity,
            start: Timestamp(microsecondsSinceEpoch: piece.start * 1000), end: Timestamp(microsecondsSinceEpoch: piece.end * 1000)
        )
        do {
            rollups.add(try CostModel.pieces(of: sample, history: history), of: sample)
        } catch {
            throw StoreError(.unprocessable, code: "cost_overflow", message: "series usage \(sample.identity.description) cannot be priced: \(error)", field: "timeseries")
        }
    }

    /// Counts the newest sample of the tenant's gauge series that have fallen `prometheusCloseAfterMilliseconds`
    /// behind its newest sample (`newest`, milliseconds) without a successor; returns how many it closed.
    /// Series another write holds are left for the next call.
    public func closeStalePrometheusSeries(tenant: String, newest: Int64) async throws -> Int {
        let logger = self.logger
        let cutoff = Timestamp(microsecondsSinceEpoch: (newest - Self.prometheusCloseAfterMilliseconds) * 1000)
        // Partitions for the months the stale samples hold in (one scrape interval past them, at most 5 minutes).
        let oldest = try await withConnection { connection in
            let rows = try await connection.query(
                "SELECT min(last_at) FROM prometheus_series WHERE tenant_id = \(tenant) AND NOT ended AND NOT counter AND last_at < \(cutoff)",
                logger: logger
            )
            for try await value in rows.decode(Timestamp?.self) { return value }
            return nil
        }
        guard let oldest else { return 0 }
        try await ensurePrometheusPartitions(tenant: tenant, from: oldest.microsecondsSinceEpoch / 1000, to: newest)
        return try await transaction("prometheus-close") { connection in
            try await connection.perform(
                "SELECT pg_advisory_xact_lock_shared(\(Self.rateCardLockClass), hashtext(\(tenant)))", logger: logger
            )
            let history = try await Self.loadRateCards(tenant: tenant, on: connection, logger: logger)
            let rows = try await connection.query(
                """
                WITH stale AS (
                    SELECT series_id FROM prometheus_series
                    WHERE tenant_id = \(tenant) AND NOT ended AND NOT counter AND last_at < \(cutoff)
                    ORDER BY series_id FOR UPDATE SKIP LOCKED
                )
                UPDATE prometheus_series p SET ended = true, updated_at = now()
                FROM stale WHERE p.tenant_id = \(tenant) AND p.series_id = stale.series_id
                RETURNING p.environment, p.service, p.resource, p.last_at, p.last_value, p.interval_ms
                """,
                logger: logger
            )
            var rollups = CostRollups()
            var closed = 0
            for try await (environment, service, resource, lastAt, lastValue, interval) in rows.decode((String, String, String, Timestamp, Double?, Int64?).self) {
                closed += 1
                var state = PrometheusSeriesState(lastAt: lastAt.microsecondsSinceEpoch / 1000, lastValue: lastValue, intervalMilliseconds: interval)
                guard let piece = state.close(), let resource = Resource(rawValue: resource) else { continue }
                try Self.add(piece, environment: environment, service: service, resource: resource, history: history, into: &rollups)
            }
            try await Self.upsert(rollups, tenant: tenant, on: connection, logger: logger)
            return closed
        }
    }
}

extension CostRollups {
    /// The rollup partitions these rows write to.
    func partitionKeys(tenant: String) -> Set<PartitionCache.Key> {
        var keys: Set<PartitionCache.Key> = []
        for key in hourly.keys {
            keys.insert(.init(parent: "cost_hourly", tenant: tenant, start: key.hour.startOfMonth))
            keys.insert(.init(parent: "cost_environment_hourly", tenant: tenant, start: key.hour.startOfMonth))
        }
        return keys
    }
}
