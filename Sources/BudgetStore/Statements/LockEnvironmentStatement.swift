import BudgetCore
import PostgresNIO

/// `chartly_lock_environment`: lock, sweep, confirm, and the running totals — prepared.
struct LockEnvironmentStatement: PostgresPreparedStatement {
    typealias Row = (Int64, Double, Double, Int)

    var tenant: String
    var environment: String
    var service: String
    var currentReplicas: Int
    var now: Timestamp
    var runRateHour: Timestamp

    static let sql = """
        SELECT reserved_rate_nanos, reserved_cpu_cores, reserved_memory_gib, reserved_replicas
        FROM chartly_lock_environment($1, $2, $3, $4::int, $5, $6)
        """

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 6)
        bindings.append(tenant)
        bindings.append(environment)
        bindings.append(service)
        bindings.append(currentReplicas)
        bindings.append(now)
        bindings.append(runRateHour)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }
}
