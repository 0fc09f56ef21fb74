import BudgetCore
import Foundation
import Logging
import PostgresNIO

/// An environment's spend in the current period: so far, per hour now, and forecast, per service.
public struct EnvironmentStatus: Sendable {
    public struct ServiceSpend: Sendable, Equatable {
        public var service: String
        public var spendSoFar: Money
        public var runRatePerHour: Money
    }

    public var tenant: String
    public var environment: String
    public var currency: Currency?
    public var period: BillingPeriod
    public var now: Timestamp
    public var projection: SpendProjection
    /// The hour the run rate was read from.
    public var runRateHour: Timestamp
    /// Sorted by spend so far, highest first.
    public var services: [ServiceSpend]
    public var unpriced: [CostReport.Unpriced]
    public var rateVersions: [Int]
}

extension BudgetStore {
    /// The environment's status at `now`, from the daily and hourly rollups.
    public func environmentStatus(tenant: String, environment: String, now: Timestamp) async throws -> EnvironmentStatus {
        let logger = self.logger
        return try await withConnection { connection in
            let period = try await Self.loadBillingPeriod(tenant: tenant, on: connection, logger: logger)
            let history = try await Self.loadRateCards(tenant: tenant, on: connection, logger: logger)
            let bounds = period.bounds(containing: now)
            let today = max(now.startOfDay, bounds.start)
            let runRateHour = Forecast.latestCompleteHour(at: now)
            // Whole days before today from the daily rollup, today's hours up to now from the hourly one,
            // and the latest complete hour for the run rate.
            let rows = try await connection.query(
                """
                WITH days AS (
                    SELECT service, rate_version, sum(cost_nanos) AS spend, 0::numeric AS rate
                    FROM cost_daily
                    WHERE tenant_id = \(tenant) AND environment = \(environment)
                      AND day >= (\(bounds.start)::timestamptz AT TIME ZONE 'UTC')::date
                      AND day < (\(today)::timestamptz AT TIME ZONE 'UTC')::date
                    GROUP BY service, rate_version
                ), hours AS (
                    SELECT service, rate_version,
                           sum(cost_nanos) FILTER (WHERE hour >= \(today) AND hour <= \(now)) AS spend,
                           sum(cost_nanos) FILTER (WHERE hour = \(runRateHour)) AS rate
                    FROM cost_hourly
                    WHERE tenant_id = \(tenant) AND environment = \(environment)
                      AND hour >= least(\(today), \(runRateHour)) AND hour <= \(now)
                    GROUP BY service, rate_version
                )
                SELECT service, rate_version, coalesce(sum(spend), 0)::int8, coalesce(sum(rate), 0)::int8
                FROM (SELECT * FROM days UNION ALL SELECT * FROM hours) AS t
                GROUP BY service, rate_version
                """,
                logger: logger
            )
            var spend: [String: (Int64, Int64)] = [:]
            var versions: Set<Int> = []
            for try await (service, version, serviceSpend, rate) in rows.decode((String, Int, Int64, Int64).self) {
                if version > 0 && serviceSpend > 0 { versions.insert(version) }
                let current = spend[service] ?? (0, 0)
                spend[service] = (current.0 + serviceSpend, current.1 + rate)
            }
            let services = spend.map { EnvironmentStatus.ServiceSpend(service: $0.key, spendSoFar: Money(nanos: $0.value.0), runRatePerHour: Money(nanos: $0.value.1)) }
                .sorted { ($0.spendSoFar, $1.service) > ($1.spendSoFar, $0.service) }
            let spendSoFar = Money(nanos: services.reduce(0) { $0 + $1.spendSoFar.nanos })
            let runRate = Money(nanos: services.reduce(0) { $0 + $1.runRatePerHour.nanos })
            guard let projection = Forecast.project(spendSoFar: spendSoFar, runRatePerHour: runRate, now: now, period: bounds) else {
                throw StoreError(.internalError, code: "overflow", message: "the forecast exceeds the money range")
            }
            let unpriced = try await Self.unpricedUsage(
                tenant: tenant, environment: environment, service: nil, from: bounds.start, to: min(bounds.end, now.startOfHour + .hours(1)),
                on: connection, logger: logger
            )
            return EnvironmentStatus(
                tenant: tenant, environment: environment, currency: history.currency, period: period, now: now,
                projection: projection, runRateHour: runRateHour, services: services, unpriced: unpriced, rateVersions: versions.sorted()
            )
        }
    }
}
