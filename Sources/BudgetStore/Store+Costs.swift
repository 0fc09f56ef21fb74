import BudgetCore
import Foundation
import Logging
import PostgresNIO

/// What `GET …/costs` asks for.
public struct CostQuery: Sendable {
    public enum Step: String, Sendable, CaseIterable {
        case hour = "1h"
        case day = "1d"
    }

    public enum Grouping: String, Sendable, CaseIterable {
        case service, environment, resource, none
    }

    public var tenant: String
    public var environment: String?
    public var service: String?
    public var from: Timestamp
    public var to: Timestamp
    public var step: Step
    public var groupBy: Grouping
    public var includeBilled: Bool

    public init(tenant: String, environment: String? = nil, service: String? = nil, from: Timestamp, to: Timestamp,
                step: Step = .day, groupBy: Grouping = .service, includeBilled: Bool = false) {
        self.tenant = tenant
        self.environment = environment
        self.service = service
        self.from = from
        self.to = to
        self.step = step
        self.groupBy = groupBy
        self.includeBilled = includeBilled
    }
}

/// Cost over time, grouped, with totals, the rate-card versions used and any unpriced usage.
public struct CostReport: Sendable {
    public struct Point: Sendable, Equatable {
        public var start: Timestamp
        public var cost: Money
    }

    public struct Series: Sendable, Equatable {
        public var key: String
        public var points: [Point]
        public var total: Money
    }

    public struct Unpriced: Sendable, Equatable {
        public var resource: Resource
        /// Unit-hours for gauges, units for counters.
        public var quantity: Double
    }

    public var currency: Currency?
    public var from: Timestamp
    public var to: Timestamp
    public var series: [Series]
    public var total: Money
    public var rateVersions: [Int]
    public var unpriced: [Unpriced]
    /// Billed cost from FOCUS imports over the same range and grouping (when asked for).
    public var billed: [Series]?
    public var billedTotal: Money?
    public var effectiveTotal: Money?
}

extension BudgetStore {
    /// Reads costs from the rollups (never the raw samples).
    public func costs(_ query: CostQuery) async throws -> CostReport {
        let logger = self.logger
        // Whole steps: a day step covers whole UTC days.
        let from = query.step == .day ? query.from.startOfDay : query.from.startOfHour
        let toFloor = query.step == .day ? query.to.startOfDay : query.to.startOfHour
        let to = toFloor == query.to ? toFloor : toFloor + (query.step == .day ? .days(1) : .hours(1))
        return try await withConnection { connection in
            let history = try await Self.loadRateCards(tenant: query.tenant, on: connection, logger: logger)
            let groupColumn: String
            switch query.groupBy {
            case .service: groupColumn = "service"
            case .environment: groupColumn = "environment"
            case .resource: groupColumn = "resource"
            case .none: groupColumn = "'total'"
            }
            // The daily rollup answers day steps unless the grouping needs resources.
            let useDaily = query.step == .day && query.groupBy != .resource
            let bucket = query.step == .day ? "day" : "hour"
            let sql: String
            if useDaily {
                sql = """
                    SELECT (day::timestamp AT TIME ZONE 'UTC') AS bucket, \(groupColumn)::text, rate_version, sum(cost_nanos)::int8
                    FROM cost_daily
                    WHERE tenant_id = $1 AND ($2::text IS NULL OR environment = $2) AND ($3::text IS NULL OR service = $3)
                      AND day >= ($4::timestamptz AT TIME ZONE 'UTC')::date AND day < ($5::timestamptz AT TIME ZONE 'UTC')::date
                    GROUP BY 1, 2, 3 ORDER BY 1, 2
                    """
            } else {
                sql = """
                    SELECT date_trunc('\(bucket)', hour, 'UTC') AS bucket, \(groupColumn)::text, rate_version, sum(cost_nanos)::int8
                    FROM cost_hourly
                    WHERE tenant_id = $1 AND ($2::text IS NULL OR environment = $2) AND ($3::text IS NULL OR service = $3)
                      AND hour >= $4 AND hour < $5
                    GROUP BY 1, 2, 3 ORDER BY 1, 2
                    """
            }
            var bindings = PostgresBindings()
            bindings.append(query.tenant)
            bindings.append(query.environment)
            bindings.append(query.service)
            bindings.append(from)
            bindings.append(to)
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
            var costs: [String: [Timestamp: Int64]] = [:]
            var versions: Set<Int> = []
            for try await (start, key, version, nanos) in rows.decode((Timestamp, String, Int, Int64).self) {
                if version > 0 { versions.insert(version) }
                costs[key, default: [:]][start, default: 0] += nanos
            }
            let unpriced = try await Self.unpricedUsage(
                tenant: query.tenant, environment: query.environment, service: query.service, from: from, to: to,
                on: connection, logger: logger
            )
            var report = CostReport(
                currency: history.currency, from: from, to: to, series: Self.series(costs), total: .zero,
                rateVersions: versions.sorted(), unpriced: unpriced
            )
            report.total = report.series.reduce(Money.zero) { $0 + $1.total }
            if query.includeBilled {
                let billed = try await Self.billedSeries(query, from: from, to: to, bucket: bucket, on: connection, logger: logger)
                report.billed = billed.series
                report.billedTotal = billed.billed
                report.effectiveTotal = billed.effective
            }
            return report
        }
    }

    static func series(_ costs: [String: [Timestamp: Int64]]) -> [CostReport.Series] {
        costs.map { key, points in
            let sorted = points.sorted { $0.key < $1.key }.map { CostReport.Point(start: $0.key, cost: Money(nanos: $0.value)) }
            return CostReport.Series(key: key, points: sorted, total: Money(nanos: points.values.reduce(0, +)))
        }.sorted { ($0.total, $1.key) > ($1.total, $0.key) }
    }

    static func unpricedUsage(
        tenant: String, environment: String?, service: String?, from: Timestamp, to: Timestamp,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> [CostReport.Unpriced] {
        let rows = try await connection.query(
            """
            SELECT resource, sum(quantity) FROM cost_hourly
            WHERE tenant_id = \(tenant) AND rate_version = 0 AND hour >= \(from) AND hour < \(to)
              AND (\(environment)::text IS NULL OR environment = \(environment)) AND (\(service)::text IS NULL OR service = \(service))
            GROUP BY resource ORDER BY resource
            """,
            logger: logger
        )
        var unpriced: [CostReport.Unpriced] = []
        for try await (name, quantity) in rows.decode((String, Double).self) {
            if let resource = Resource(rawValue: name) { unpriced.append(.init(resource: resource, quantity: quantity)) }
        }
        return unpriced
    }

    static func billedSeries(
        _ query: CostQuery, from: Timestamp, to: Timestamp, bucket: String, on connection: PostgresConnection, logger: Logger
    ) async throws -> (series: [CostReport.Series], billed: Money, effective: Money) {
        let groupColumn: String
        switch query.groupBy {
        case .service: groupColumn = "service"
        case .environment: groupColumn = "environment"
        case .resource: groupColumn = "coalesce(provider_service, 'unknown')"
        case .none: groupColumn = "'total'"
        }
        var bindings = PostgresBindings()
        bindings.append(query.tenant)
        bindings.append(query.environment)
        bindings.append(query.service)
        bindings.append(from)
        bindings.append(to)
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT date_trunc('\(bucket)', charge_period_start, 'UTC'), \(groupColumn)::text, sum(billed_nanos)::int8, sum(effective_nanos)::int8
                    FROM billed_costs
                    WHERE tenant_id = $1 AND ($2::text IS NULL OR environment = $2) AND ($3::text IS NULL OR service = $3)
                      AND charge_period_start >= $4 AND charge_period_start < $5
                    GROUP BY 1, 2
                    """,
                binds: bindings
            ),
            logger: logger
        )
        var costs: [String: [Timestamp: Int64]] = [:]
        var billed: Int64 = 0
        var effective: Int64 = 0
        for try await (start, key, billedNanos, effectiveNanos) in rows.decode((Timestamp, String, Int64, Int64).self) {
            costs[key, default: [:]][start, default: 0] += billedNanos
            billed += billedNanos
            effective += effectiveNanos
        }
        return (series(costs), Money(nanos: billed), Money(nanos: effective))
    }
}
