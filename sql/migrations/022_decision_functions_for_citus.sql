-- The decision's snapshot and its record as functions, for Citus.
--
-- On one server the decision path sends two statements (`DecisionSnapshotStatement`, `RecordDecisionStatement`).
-- On Citus neither can be planned as a statement on one shard: the first reads from a function
-- (`chartly_begin_decision`) and the second writes in several CTEs, so the coordinator splits each into a dozen
-- sub-plans with intermediate results, each a round trip to the worker (measured: 27 decisions a second against
-- 344 for the raw SQL of the same transaction). These two functions do the same work, statement by statement;
-- `migrate` distributes them by their tenant argument with `force_delegation`, so the coordinator hands the whole
-- call to the worker holding the tenant's shards, where every statement is local. The store calls them on Citus
-- only; on one server they are unused and the statements stay as they are.

CREATE FUNCTION chartly_decision_snapshot(
    p_tenant text, p_environment text, p_service text, p_now timestamptz, p_run_rate_hour timestamptz,
    p_current_replicas integer, p_scale_up boolean, p_lock_timeout text, p_known_generation bigint, p_known_server_start timestamptz,
    OUT o_policy text, OUT o_caps text, OUT o_budgets text, OUT o_period_kind text, OUT o_period_start_day integer,
    OUT o_period_start timestamptz, OUT o_rate_cards text, OUT o_spend_days bigint, OUT o_spend_today bigint, OUT o_run_rate bigint,
    OUT o_cpu double precision, OUT o_memory double precision, OUT o_replicas double precision,
    OUT o_last_up timestamptz, OUT o_last_down timestamptz, OUT o_added_in_window bigint,
    OUT o_reserved_rate_nanos bigint, OUT o_reserved_cpu_cores double precision, OUT o_reserved_memory_gib double precision,
    OUT o_reserved_replicas integer, OUT o_generation bigint, OUT o_server_start timestamptz
)
LANGUAGE plpgsql AS $$
-- Each statement reads one table (or two co-located on the tenant), so on a Citus worker each runs on the local
-- shard: a delegated function may not run a statement that needs the coordinator's planning.
DECLARE
    window_seconds integer;
    today_start timestamptz;
BEGIN
    -- As the statement does: the lock (and the lock timeout) first, then the reads.
    SELECT (s.spec->'scale_up'->>'window_seconds')::int INTO window_seconds
    FROM scaling_policies s WHERE s.tenant_id = p_tenant AND s.environment = p_environment AND s.service = p_service;
    SELECT b.last_up, b.last_down, b.added_in_window, b.reserved_rate_nanos, b.reserved_cpu_cores, b.reserved_memory_gib, b.reserved_replicas
    INTO o_last_up, o_last_down, o_added_in_window, o_reserved_rate_nanos, o_reserved_cpu_cores, o_reserved_memory_gib, o_reserved_replicas
    FROM chartly_begin_decision(
        p_tenant, p_environment, p_service, p_current_replicas, p_now, p_run_rate_hour, p_scale_up, coalesce(window_seconds, 0), p_lock_timeout
    ) AS b;

    SELECT t.period_kind, t.period_start_day INTO o_period_kind, o_period_start_day FROM tenant_settings t WHERE t.tenant_id = p_tenant;
    o_period_kind := coalesce(o_period_kind, 'month');
    o_period_start_day := coalesce(o_period_start_day, 1);
    o_period_start := chartly_period_start(p_now, o_period_kind, o_period_start_day);
    today_start := greatest(date_trunc('day', p_now AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', o_period_start);

    SELECT g.generation INTO o_generation FROM config_generations g WHERE g.tenant_id = p_tenant;
    o_generation := coalesce(o_generation, 0);
    o_server_start := pg_postmaster_start_time();
    IF o_generation = 0 OR o_generation <> p_known_generation OR o_server_start <> p_known_server_start THEN
        SELECT s.spec::text INTO o_policy
        FROM scaling_policies s WHERE s.tenant_id = p_tenant AND s.environment = p_environment AND s.service = p_service;
        SELECT json_agg(c.spec ORDER BY c.service)::text INTO o_caps
        FROM caps c WHERE c.tenant_id = p_tenant AND c.environment = p_environment AND c.service IN ('', p_service);
        SELECT json_agg(b.spec ORDER BY b.name)::text INTO o_budgets
        FROM budgets b WHERE b.tenant_id = p_tenant AND b.environment = p_environment AND b.enforce AND b.service IN ('', p_service);
        -- A join of the two tables on one tenant (a correlated subquery would need the coordinator's planning).
        SELECT json_agg(json_build_object(
                   'version', c.version, 'effective_from', to_char(c.effective_from AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                   'currency', c.currency, 'prices', coalesce(x.prices, '{}'::json)) ORDER BY c.version)::text
        INTO o_rate_cards
        FROM rate_cards c
        LEFT JOIN (
            SELECT r.tenant_id, r.version, json_object_agg(r.resource, r.price_picos) AS prices
            FROM rate_card_prices r WHERE r.tenant_id = p_tenant GROUP BY r.tenant_id, r.version
        ) x ON x.tenant_id = c.tenant_id AND x.version = c.version
        WHERE c.tenant_id = p_tenant;
    END IF;

    SELECT coalesce(sum(d.cost_nanos), 0)::int8 INTO o_spend_days
    FROM cost_environment_daily d
    WHERE d.tenant_id = p_tenant AND d.environment = p_environment
      AND d.day >= (o_period_start AT TIME ZONE 'UTC')::date AND d.day < (today_start AT TIME ZONE 'UTC')::date;
    SELECT coalesce(sum(h.cost_nanos), 0)::int8 INTO o_spend_today
    FROM cost_environment_hourly h
    WHERE h.tenant_id = p_tenant AND h.environment = p_environment AND h.hour >= today_start AND h.hour <= p_now;
    SELECT h.cost_nanos, h.cpu_core_hours, h.memory_gib_hours, h.replica_hours INTO o_run_rate, o_cpu, o_memory, o_replicas
    FROM cost_environment_hourly h WHERE h.tenant_id = p_tenant AND h.environment = p_environment AND h.hour = p_run_rate_hour;
    o_run_rate := coalesce(o_run_rate, 0);
    o_cpu := coalesce(o_cpu, 0);
    o_memory := coalesce(o_memory, 0);
    o_replicas := coalesce(o_replicas, 0);
END;
$$;

-- The same writes as `RecordDecisionStatement`, one statement each; returns how many rows they wrote.
CREATE FUNCTION chartly_record_decision(
    p_tenant text, p_decision_id uuid, p_request_id text, p_environment text, p_service text, p_current integer, p_desired integer,
    p_outcome text, p_allowed integer, p_evaluated_at timestamptz, p_request_json text, p_snapshot_json text, p_result_json text,
    p_reserve boolean, p_replicas integer, p_rate_nanos bigint, p_cpu_cores double precision, p_memory_gib double precision,
    p_expires_at timestamptz
) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    written bigint := 0;
    n bigint;
BEGIN
    INSERT INTO decisions (tenant_id, decision_id, request_id, environment, service, current_replicas, desired_replicas,
                           outcome, allowed_replicas, evaluated_at, request_json, snapshot_json, result_json)
    VALUES (p_tenant, p_decision_id, p_request_id, p_environment, p_service, p_current, p_desired, p_outcome, p_allowed,
            p_evaluated_at, p_request_json, p_snapshot_json, p_result_json);
    written := 1;
    IF p_reserve THEN
        INSERT INTO reservations (tenant_id, decision_id, environment, service, replicas, target_replicas, rate_nanos,
                                  cpu_cores, memory_gib, created_at, expires_at)
        VALUES (p_tenant, p_decision_id, p_environment, p_service, p_replicas, p_allowed, p_rate_nanos, p_cpu_cores, p_memory_gib,
                p_evaluated_at, p_expires_at);
        UPDATE environment_state
        SET reserved_rate_nanos = reserved_rate_nanos + p_rate_nanos, reserved_cpu_cores = reserved_cpu_cores + p_cpu_cores,
            reserved_memory_gib = reserved_memory_gib + p_memory_gib, reserved_replicas = reserved_replicas + p_replicas
        WHERE tenant_id = p_tenant AND environment = p_environment;
        GET DIAGNOSTICS n = ROW_COUNT;
        written := written + 1 + n;
    END IF;
    IF p_outcome IN ('allow', 'clamp') AND p_desired <> p_current THEN
        INSERT INTO service_scaling_state AS s (tenant_id, environment, service, last_scale_up_at, last_scale_down_at)
        VALUES (p_tenant, p_environment, p_service,
                CASE WHEN p_desired > p_current THEN p_evaluated_at END, CASE WHEN p_desired < p_current THEN p_evaluated_at END)
        ON CONFLICT (tenant_id, environment, service) DO UPDATE
        SET last_scale_up_at = greatest(s.last_scale_up_at, excluded.last_scale_up_at),
            last_scale_down_at = greatest(s.last_scale_down_at, excluded.last_scale_down_at);
        written := written + 1;
    END IF;
    RETURN written;
END;
$$;
