-- A decision's first read and its lock in one round trip.
--
-- `chartly_begin_decision` locks the environment (for a scale-up: `chartly_lock_environment`, which also ends
-- lapsed reservations and confirms reported ones) and then reads the service's recent scalings. Each statement
-- of a PL/pgSQL function sees what was committed before it began, so the scalings read here include those of
-- every decision that held the lock before this one: two concurrent scale-ups of a service cannot both pass
-- its cooldown. The decision snapshot calls it from its FROM clause; the configuration and the usage figures
-- read by the rest of that statement are as of the statement's start, as if read just before the lock
-- (neither is written under it).

CREATE FUNCTION chartly_begin_decision(
    p_tenant text, p_environment text, p_service text, p_current_replicas integer,
    p_now timestamptz, p_run_rate_hour timestamptz, p_scale_up boolean, p_window_seconds integer,
    OUT reserved_rate_nanos bigint, OUT reserved_cpu_cores double precision,
    OUT reserved_memory_gib double precision, OUT reserved_replicas integer,
    OUT last_up timestamptz, OUT last_down timestamptz, OUT added_in_window bigint
)
LANGUAGE plpgsql AS $$
BEGIN
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
    -- it: otherwise 0 without touching `decisions` (a plan chosen before the table was first analysed read the
    -- tenant's whole request_id key, and every decision of a busy service was slower than the last).
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
