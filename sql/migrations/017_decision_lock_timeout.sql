-- A shared decision transaction's lock timeout set by its first read, not by a round trip of its own.
--
-- A transaction that carries several decisions of a tenant (`DecisionBatcher`) waits at most a short time for
-- an environment's row lock. It used to set that with `SELECT set_config('lock_timeout', …, true)` after
-- `BEGIN`: one more round trip and executor start-up per shared transaction, about 5 % of a hot environment's
-- serial time. Now each decision's first statement passes the timeout to `chartly_begin_decision`, which sets
-- it for the rest of the transaction before it takes the lock. A decision in a transaction of its own passes
-- NULL and waits as before (bounded by `statement_timeout`).
--
-- The function of migration 014 keeps its signature, as a call of this one without a timeout, so a replica
-- still on the previous version keeps working while others are upgraded.

CREATE FUNCTION chartly_begin_decision(
    p_tenant text, p_environment text, p_service text, p_current_replicas integer,
    p_now timestamptz, p_run_rate_hour timestamptz, p_scale_up boolean, p_window_seconds integer,
    p_lock_timeout text,
    OUT reserved_rate_nanos bigint, OUT reserved_cpu_cores double precision,
    OUT reserved_memory_gib double precision, OUT reserved_replicas integer,
    OUT last_up timestamptz, OUT last_down timestamptz, OUT added_in_window bigint
)
LANGUAGE plpgsql AS $$
BEGIN
    -- For the rest of the transaction (is_local), so every later lock of a shared transaction is bounded too.
    IF p_lock_timeout IS NOT NULL THEN
        PERFORM set_config('lock_timeout', p_lock_timeout, true);
    END IF;

    IF p_scale_up THEN
        SELECT l.reserved_rate_nanos, l.reserved_cpu_cores, l.reserved_memory_gib, l.reserved_replicas
        INTO reserved_rate_nanos, reserved_cpu_cores, reserved_memory_gib, reserved_replicas
        FROM chartly_lock_environment(p_tenant, p_environment, p_service, p_current_replicas, p_now, p_run_rate_hour) AS l;
    ELSE
        reserved_rate_nanos := 0; reserved_cpu_cores := 0; reserved_memory_gib := 0; reserved_replicas := 0;
    END IF;

    SELECT s.last_scale_up_at, s.last_scale_down_at INTO last_up, last_down
    FROM service_scaling_state s
    WHERE s.tenant_id = p_tenant AND s.environment = p_environment AND s.service = p_service;

    -- Replicas added in the step window, read only when the window is set and the last approved scale-up is in
    -- it (see migration 014).
    added_in_window := 0;
    IF p_window_seconds > 0 AND last_up > p_now - p_window_seconds * interval '1 second' THEN
        SELECT coalesce(sum(d.allowed_replicas - d.current_replicas), 0)::int8 INTO added_in_window
        FROM decisions d
        WHERE d.tenant_id = p_tenant AND d.environment = p_environment AND d.service = p_service
          AND d.direction = 'up' AND d.outcome IN ('allow', 'clamp')
          AND d.evaluated_at <= p_now AND d.evaluated_at > p_now - p_window_seconds * interval '1 second';
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION chartly_begin_decision(
    p_tenant text, p_environment text, p_service text, p_current_replicas integer,
    p_now timestamptz, p_run_rate_hour timestamptz, p_scale_up boolean, p_window_seconds integer,
    OUT reserved_rate_nanos bigint, OUT reserved_cpu_cores double precision,
    OUT reserved_memory_gib double precision, OUT reserved_replicas integer,
    OUT last_up timestamptz, OUT last_down timestamptz, OUT added_in_window bigint
)
LANGUAGE sql AS $$
    SELECT * FROM chartly_begin_decision(
        p_tenant, p_environment, p_service, p_current_replicas, p_now, p_run_rate_hour, p_scale_up, p_window_seconds, NULL
    )
$$;
