import BudgetCore
import Logging
import PostgresNIO

extension BudgetStore {
    /// An environment's spend since `periodStart`, its run rate and resources in `runRateHour`, from the
    /// per-environment rollups (at most a month of days plus a day of hours: cheap on the decision path).
    static func environmentFigures(
        tenant: String, environment: String, periodStart: Timestamp, now: Timestamp, runRateHour: Timestamp,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> DecisionSnapshot.Figures {
        let today = max(now.startOfDay, periodStart)
        let rows = try await connection.query(
            """
            SELECT
              (SELECT coalesce(sum(cost_nanos), 0)::int8 FROM cost_environment_daily
                WHERE tenant_id = \(tenant) AND environment = \(environment)
                  AND day >= (\(periodStart)::timestamptz AT TIME ZONE 'UTC')::date AND day < (\(today)::timestamptz AT TIME ZONE 'UTC')::date),
              (SELECT coalesce(sum(cost_nanos), 0)::int8 FROM cost_environment_hourly
                WHERE tenant_id = \(tenant) AND environment = \(environment) AND hour >= \(today) AND hour <= \(now)),
              coalesce(h.cost_nanos, 0), coalesce(h.cpu_core_hours, 0), coalesce(h.memory_gib_hours, 0), coalesce(h.replica_hours, 0)
            FROM (SELECT 1) AS one
            LEFT JOIN cost_environment_hourly h ON h.tenant_id = \(tenant) AND h.environment = \(environment) AND h.hour = \(runRateHour)
            """,
            logger: logger
        )
        for try await (days, hours, rate, cpu, memory, replicas) in rows.decode((Int64, Int64, Int64, Double, Double, Double).self) {
            return .init(spendSoFar: Money(nanos: days + hours), runRatePerHour: Money(nanos: rate), cpuCores: cpu, memoryGiB: memory, replicas: replicas)
        }
        return .init()
    }

    /// One service's spend since `periodStart`, its run rate in `runRateHour`, and its live reservations.
    static func serviceFigures(
        tenant: String, environment: String, service: String, periodStart: Timestamp, now: Timestamp, runRateHour: Timestamp,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> DecisionSnapshot.Figures {
        let today = max(now.startOfDay, periodStart)
        let rows = try await connection.query(
            """
            SELECT
              (SELECT coalesce(sum(cost_nanos), 0)::int8 FROM cost_daily
                WHERE tenant_id = \(tenant) AND environment = \(environment) AND service = \(service)
                  AND day >= (\(periodStart)::timestamptz AT TIME ZONE 'UTC')::date AND day < (\(today)::timestamptz AT TIME ZONE 'UTC')::date),
              (SELECT coalesce(sum(cost_nanos), 0)::int8 FROM cost_hourly
                WHERE tenant_id = \(tenant) AND environment = \(environment) AND service = \(service) AND hour >= \(today) AND hour <= \(now)),
              (SELECT coalesce(sum(cost_nanos), 0)::int8 FROM cost_hourly
                WHERE tenant_id = \(tenant) AND environment = \(environment) AND service = \(service) AND hour = \(runRateHour)),
              (SELECT coalesce(sum(rate_nanos), 0)::int8 FROM reservations
                WHERE tenant_id = \(tenant) AND environment = \(environment) AND service = \(service) AND service <> '' AND ended_at IS NULL)
            """,
            logger: logger
        )
        for try await (days, hours, rate, reserved) in rows.decode((Int64, Int64, Int64, Int64).self) {
            return .init(spendSoFar: Money(nanos: days + hours), runRatePerHour: Money(nanos: rate), reservedPerHour: Money(nanos: reserved))
        }
        return .init()
    }
}
