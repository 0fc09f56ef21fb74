import BudgetCore
import PostgresNIO

/// What the decision reads in one round trip: policy, caps, enforcing budgets, the tenant's period, the rate
/// card, the environment's figures and the service's recent scalings.
///
/// A prepared statement: it is parsed once per connection and its plan is reused, which matters on the
/// decision path (planning this query costs more than running it).
struct DecisionSnapshotStatement: PostgresPreparedStatement {
    typealias Row = (
        policy: String?, caps: String?, budgets: String?, periodKind: String, periodStartDay: Int, periodStart: Timestamp,
        rateCards: String?, spendDays: Int64, spendToday: Int64, runRate: Int64, cpu: Double, memory: Double, replicas: Double,
        lastUp: Timestamp?, lastDown: Timestamp?, addedInWindow: Int64
    )

    var tenant: String
    var environment: String
    var service: String
    var now: Timestamp
    var runRateHour: Timestamp

    static let sql = """
        WITH settings AS (
            SELECT coalesce((SELECT period_kind FROM tenant_settings WHERE tenant_id = $1), 'month') AS kind,
                   coalesce((SELECT period_start_day FROM tenant_settings WHERE tenant_id = $1), 1) AS start_day
        ), period AS (
            SELECT chartly_period_start($4, kind, start_day) AS start FROM settings
        ), policy AS (
            SELECT spec FROM scaling_policies WHERE tenant_id = $1 AND environment = $2 AND service = $3
        ), history AS (
            SELECT
              (SELECT last_scale_up_at FROM service_scaling_state WHERE tenant_id = $1 AND environment = $2 AND service = $3) AS last_up,
              (SELECT last_scale_down_at FROM service_scaling_state WHERE tenant_id = $1 AND environment = $2 AND service = $3) AS last_down,
              -- Replicas added in the step window. Read only when the window is set and the service's last approved
              -- scale-up falls inside it: otherwise the sum is 0, and a plan that picked another index of
              -- `decisions` (seen before the table's first ANALYZE: the tenant's request_id key, read whole) would
              -- make every decision of a busy service slower than the last.
              (SELECT CASE WHEN w.seconds > 0 AND s.last_scale_up_at > $4::timestamptz - w.seconds * interval '1 second' THEN
                  (SELECT coalesce(sum(allowed_replicas - current_replicas), 0)::int8 FROM decisions
                    WHERE tenant_id = $1 AND environment = $2 AND service = $3 AND direction = 'up' AND outcome IN ('allow', 'clamp')
                      AND evaluated_at <= $4
                      AND evaluated_at > $4::timestamptz - w.seconds * interval '1 second')
                  ELSE 0 END
               FROM (SELECT coalesce((SELECT (spec->'scale_up'->>'window_seconds')::int FROM policy), 0) AS seconds) AS w
               LEFT JOIN service_scaling_state s ON s.tenant_id = $1 AND s.environment = $2 AND s.service = $3
              ) AS added
        ), today AS (
            SELECT greatest(date_trunc('day', $4::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', (SELECT start FROM period)) AS start
        )
        SELECT
          (SELECT spec::text FROM policy),
          (SELECT json_agg(spec ORDER BY service)::text FROM caps WHERE tenant_id = $1 AND environment = $2 AND service IN ('', $3)),
          (SELECT json_agg(spec ORDER BY name)::text FROM budgets WHERE tenant_id = $1 AND environment = $2 AND enforce AND service IN ('', $3)),
          (SELECT kind FROM settings), (SELECT start_day FROM settings), (SELECT start FROM period),
          (SELECT json_agg(json_build_object(
              'version', c.version, 'effective_from', to_char(c.effective_from AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
              'currency', c.currency,
              'prices', coalesce((SELECT json_object_agg(p.resource, p.price_picos) FROM rate_card_prices p
                                  WHERE p.tenant_id = c.tenant_id AND p.version = c.version), '{}'::json)))::text
             FROM rate_cards c WHERE c.tenant_id = $1),
          (SELECT coalesce(sum(cost_nanos), 0)::int8 FROM cost_environment_daily
            WHERE tenant_id = $1 AND environment = $2
              AND day >= ((SELECT start FROM period) AT TIME ZONE 'UTC')::date AND day < ((SELECT start FROM today) AT TIME ZONE 'UTC')::date),
          (SELECT coalesce(sum(cost_nanos), 0)::int8 FROM cost_environment_hourly
            WHERE tenant_id = $1 AND environment = $2 AND hour >= (SELECT start FROM today) AND hour <= $4),
          coalesce(h.cost_nanos, 0)::int8, coalesce(h.cpu_core_hours, 0)::float8, coalesce(h.memory_gib_hours, 0)::float8,
          coalesce(h.replica_hours, 0)::float8,
          (SELECT last_up FROM history), (SELECT last_down FROM history), coalesce((SELECT added FROM history), 0)::int8
        FROM (SELECT 1) AS one
        LEFT JOIN cost_environment_hourly h ON h.tenant_id = $1 AND h.environment = $2 AND h.hour = $5
        """

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 5)
        bindings.append(tenant)
        bindings.append(environment)
        bindings.append(service)
        bindings.append(now)
        bindings.append(runRateHour)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let c = try row.decode(
            (String?, String?, String?, String, Int, Timestamp, String?, Int64, Int64, Int64, Double, Double, Double, Timestamp?, Timestamp?, Int64).self
        )
        return (
            policy: c.0, caps: c.1, budgets: c.2, periodKind: c.3, periodStartDay: c.4, periodStart: c.5, rateCards: c.6,
            spendDays: c.7, spendToday: c.8, runRate: c.9, cpu: c.10, memory: c.11, replicas: c.12,
            lastUp: c.13, lastDown: c.14, addedInWindow: c.15
        )
    }
}
