import BudgetCore
import PostgresNIO

/// What the decision reads in one round trip: in a shared transaction the lock timeout, for a scale-up the
/// environment's lock and its reserved totals first (`chartly_begin_decision`), then the tenant's period,
/// the environment's figures, the service's recent scalings and the tenant's configuration generation — with
/// the policy, caps, enforcing budgets and rate cards only when the replica does not hold them for that
/// generation (`DecisionConfigs`).
///
/// A prepared statement: it is parsed once per connection and its plan is reused, which matters on the
/// decision path (planning this query costs more than running it).
struct DecisionSnapshotStatement: PostgresPreparedStatement {
    typealias Row = (
        policy: String?, caps: String?, budgets: String?, periodKind: String, periodStartDay: Int, periodStart: Timestamp,
        rateCards: String?, spendDays: Int64, spendToday: Int64, runRate: Int64, cpu: Double, memory: Double, replicas: Double,
        lastUp: Timestamp?, lastDown: Timestamp?, addedInWindow: Int64,
        reservedRate: Int64, reservedCPU: Double, reservedMemory: Double, reservedReplicas: Int,
        configGeneration: Int64, serverStart: Timestamp
    )

    var tenant: String
    var environment: String
    var service: String
    var now: Timestamp
    var runRateHour: Timestamp
    var currentReplicas: Int
    /// A scale-up locks the environment first (`chartly_begin_decision`); other decisions only read.
    var scaleUp: Bool
    /// In a transaction shared with other decisions, how long its locks may wait (a `lock_timeout` value such as
    /// `100ms`), set by `chartly_begin_decision` for the rest of the transaction; nil in a transaction of its own.
    var lockTimeout: String?
    /// The tenant's configuration generation the replica holds this environment's and service's documents for
    /// (0: none), and the start of the PostgreSQL server they were read from. The policy, caps, budgets and rate
    /// cards come back only when the tenant's generation is another, or 0, or the server is another (a
    /// failover or a restore can give a generation again: `DecisionConfigs`).
    var knownGeneration: Int64
    var knownServerStart: Timestamp

    static let sql = """
        WITH settings AS (
            SELECT coalesce((SELECT period_kind FROM tenant_settings WHERE tenant_id = $1), 'month') AS kind,
                   coalesce((SELECT period_start_day FROM tenant_settings WHERE tenant_id = $1), 1) AS start_day
        ), period AS (
            SELECT chartly_period_start($4, kind, start_day) AS start FROM settings
        ), policy AS (
            SELECT spec FROM scaling_policies WHERE tenant_id = $1 AND environment = $2 AND service = $3
        ), generation AS (
            SELECT coalesce((SELECT generation FROM config_generations WHERE tenant_id = $1), 0) AS value
        ), documents AS (
            SELECT value = 0 OR value <> $9 OR pg_postmaster_start_time() <> $10 AS needed FROM generation
        ), today AS (
            SELECT greatest(date_trunc('day', $4::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', (SELECT start FROM period)) AS start
        )
        SELECT
          CASE WHEN (SELECT needed FROM documents) THEN (SELECT spec::text FROM policy) END,
          CASE WHEN (SELECT needed FROM documents) THEN
            (SELECT json_agg(spec ORDER BY service)::text FROM caps WHERE tenant_id = $1 AND environment = $2 AND service IN ('', $3)) END,
          CASE WHEN (SELECT needed FROM documents) THEN
            (SELECT json_agg(spec ORDER BY name)::text FROM budgets WHERE tenant_id = $1 AND environment = $2 AND enforce AND service IN ('', $3)) END,
          (SELECT kind FROM settings), (SELECT start_day FROM settings), (SELECT start FROM period),
          CASE WHEN (SELECT needed FROM documents) THEN (SELECT json_agg(json_build_object(
              'version', c.version, 'effective_from', to_char(c.effective_from AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
              'currency', c.currency,
              'prices', coalesce((SELECT json_object_agg(p.resource, p.price_picos) FROM rate_card_prices p
                                  WHERE p.tenant_id = c.tenant_id AND p.version = c.version), '{}'::json)))::text
             FROM rate_cards c WHERE c.tenant_id = $1) END,
          (SELECT coalesce(sum(cost_nanos), 0)::int8 FROM cost_environment_daily
            WHERE tenant_id = $1 AND environment = $2
              AND day >= ((SELECT start FROM period) AT TIME ZONE 'UTC')::date AND day < ((SELECT start FROM today) AT TIME ZONE 'UTC')::date),
          (SELECT coalesce(sum(cost_nanos), 0)::int8 FROM cost_environment_hourly
            WHERE tenant_id = $1 AND environment = $2 AND hour >= (SELECT start FROM today) AND hour <= $4),
          coalesce(h.cost_nanos, 0)::int8, coalesce(h.cpu_core_hours, 0)::float8, coalesce(h.memory_gib_hours, 0)::float8,
          coalesce(h.replica_hours, 0)::float8,
          b.last_up, b.last_down, b.added_in_window,
          b.reserved_rate_nanos, b.reserved_cpu_cores, b.reserved_memory_gib, b.reserved_replicas,
          (SELECT value FROM generation), pg_postmaster_start_time()
        FROM chartly_begin_decision(
            $1, $2, $3, $6::int, $4, $5, $7::bool, coalesce((SELECT (spec->'scale_up'->>'window_seconds')::int FROM policy), 0), $8::text
        ) AS b
        LEFT JOIN cost_environment_hourly h ON h.tenant_id = $1 AND h.environment = $2 AND h.hour = $5
        """

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 10)
        bindings.append(tenant)
        bindings.append(environment)
        bindings.append(service)
        bindings.append(now)
        bindings.append(runRateHour)
        bindings.append(currentReplicas)
        bindings.append(scaleUp)
        bindings.append(lockTimeout)
        bindings.append(knownGeneration)
        bindings.append(knownServerStart)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let c = try row.decode(
            (String?, String?, String?, String, Int, Timestamp, String?, Int64, Int64, Int64, Double, Double, Double, Timestamp?, Timestamp?, Int64,
             Int64, Double, Double, Int, Int64, Timestamp).self
        )
        return (
            policy: c.0, caps: c.1, budgets: c.2, periodKind: c.3, periodStartDay: c.4, periodStart: c.5, rateCards: c.6,
            spendDays: c.7, spendToday: c.8, runRate: c.9, cpu: c.10, memory: c.11, replicas: c.12,
            lastUp: c.13, lastDown: c.14, addedInWindow: c.15,
            reservedRate: c.16, reservedCPU: c.17, reservedMemory: c.18, reservedReplicas: c.19, configGeneration: c.20,
            serverStart: c.21
        )
    }
}

/// The same snapshot on Citus, through `chartly_decision_snapshot` (migration 022), which the coordinator hands whole
/// to the tenant's worker; the statement above would be split there into sub-plans, a round trip each.
struct CitusDecisionSnapshotStatement: PostgresPreparedStatement {
    typealias Row = DecisionSnapshotStatement.Row
    var base: DecisionSnapshotStatement

    static let sql = "SELECT * FROM chartly_decision_snapshot($1, $2, $3, $4, $5, $6::int, $7::bool, $8::text, $9::int8, $10::timestamptz)"

    func makeBindings() throws -> PostgresBindings { try base.makeBindings() }
    func decodeRow(_ row: PostgresRow) throws -> Row { try base.decodeRow(row) }
}
