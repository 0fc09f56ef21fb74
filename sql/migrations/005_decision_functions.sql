-- The decision path in fewer round trips.

-- Locks an environment's state row (creating it on first use), ends reservations that lapsed or that the
-- run rate now includes, confirms the service's reservations its caller reports as done, and returns
-- the running totals of what is still reserved.
CREATE FUNCTION chartly_lock_environment(
    p_tenant text, p_environment text, p_service text, p_current_replicas integer,
    p_now timestamptz, p_run_rate_hour timestamptz,
    OUT reserved_rate_nanos bigint, OUT reserved_cpu_cores double precision,
    OUT reserved_memory_gib double precision, OUT reserved_replicas integer
)
LANGUAGE plpgsql AS $$
DECLARE
    ended_rate bigint;
    ended_cpu double precision;
    ended_memory double precision;
    ended_replicas integer;
BEGIN
    INSERT INTO environment_state (tenant_id, environment) VALUES (p_tenant, p_environment)
    ON CONFLICT (tenant_id, environment) DO UPDATE SET tenant_id = excluded.tenant_id;

    WITH ended AS (
        UPDATE reservations
        SET ended_at = p_now,
            end_reason = CASE WHEN created_at <= p_run_rate_hour THEN 'in_run_rate' ELSE 'expired' END
        WHERE tenant_id = p_tenant AND environment = p_environment AND ended_at IS NULL
          AND (created_at <= p_run_rate_hour OR (NOT confirmed AND expires_at <= p_now))
        RETURNING rate_nanos, cpu_cores, memory_gib, replicas
    )
    SELECT coalesce(sum(rate_nanos), 0), coalesce(sum(cpu_cores), 0), coalesce(sum(memory_gib), 0), coalesce(sum(replicas), 0)
    INTO ended_rate, ended_cpu, ended_memory, ended_replicas
    FROM ended;

    UPDATE reservations SET confirmed = true
    WHERE tenant_id = p_tenant AND environment = p_environment AND service = p_service
      AND ended_at IS NULL AND NOT confirmed AND target_replicas <= p_current_replicas AND expires_at > p_now;

    UPDATE environment_state s
    SET reserved_rate_nanos = s.reserved_rate_nanos - ended_rate,
        reserved_cpu_cores = greatest(0, s.reserved_cpu_cores - ended_cpu),
        reserved_memory_gib = greatest(0, s.reserved_memory_gib - ended_memory),
        reserved_replicas = s.reserved_replicas - ended_replicas
    WHERE s.tenant_id = p_tenant AND s.environment = p_environment
    RETURNING s.reserved_rate_nanos, s.reserved_cpu_cores, s.reserved_memory_gib, s.reserved_replicas
    INTO reserved_rate_nanos, reserved_cpu_cores, reserved_memory_gib, reserved_replicas;
END;
$$;

-- The start of the tenant's period containing p_now (UTC): calendar day, or a month starting on p_start_day.
-- Mirrors BudgetCore.BillingPeriod; the decision path checks that both agree.
CREATE FUNCTION chartly_period_start(p_now timestamptz, p_kind text, p_start_day integer) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$
    -- Calendar arithmetic on UTC wall-clock time, whatever the session's time zone.
    SELECT (CASE
        WHEN p_kind = 'day' THEN date_trunc('day', p_now AT TIME ZONE 'UTC')
        WHEN extract(day FROM p_now AT TIME ZONE 'UTC') >= p_start_day
            THEN date_trunc('month', p_now AT TIME ZONE 'UTC') + (p_start_day - 1) * interval '1 day'
        ELSE date_trunc('month', p_now AT TIME ZONE 'UTC') - interval '1 month' + (p_start_day - 1) * interval '1 day'
    END) AT TIME ZONE 'UTC'
$$;
