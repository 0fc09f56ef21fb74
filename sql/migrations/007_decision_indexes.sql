-- Keep the decision path O(what changed) on a hot environment with many decisions and live reservations.

ALTER TABLE decisions ADD COLUMN direction text GENERATED ALWAYS AS (
    CASE WHEN desired_replicas > current_replicas THEN 'up' WHEN desired_replicas < current_replicas THEN 'down' ELSE 'none' END
) STORED;

-- Approved scale-ups of a service by time: the step window's sum reads only the window.
CREATE INDEX decisions_approved ON decisions (tenant_id, environment, service, direction, evaluated_at)
    WHERE outcome IN ('allow', 'clamp');

-- When each service last scaled up and down (approved), written with each decision: one primary-key read on
-- the decision path however many decisions the service has (looking for a scale-down that never happened
-- would otherwise walk all of them).
CREATE TABLE service_scaling_state (
    tenant_id           text        NOT NULL,
    environment         text        NOT NULL,
    service             text        NOT NULL,
    last_scale_up_at    timestamptz,
    last_scale_down_at  timestamptz,
    PRIMARY KEY (tenant_id, environment, service)
);
INSERT INTO service_scaling_state (tenant_id, environment, service, last_scale_up_at, last_scale_down_at)
SELECT tenant_id, environment, service,
       max(evaluated_at) FILTER (WHERE direction = 'up'), max(evaluated_at) FILTER (WHERE direction = 'down')
FROM decisions WHERE outcome IN ('allow', 'clamp') AND direction <> 'none'
GROUP BY tenant_id, environment, service;

-- Sweeping lapsed reservations by expiry, and confirming by target, without reading every live one.
-- Each index's predicate is implied only by the queries meant to use it (target_replicas > 0, service <> ''),
-- so no planner estimate can send a sweep through the wrong one.
CREATE INDEX reservations_unconfirmed ON reservations (tenant_id, environment, expires_at)
    WHERE ended_at IS NULL AND NOT confirmed;
CREATE INDEX reservations_unconfirmed_by_target ON reservations (tenant_id, environment, service, target_replicas)
    WHERE ended_at IS NULL AND NOT confirmed AND target_replicas > 0;
DROP INDEX reservations_live_by_service;
CREATE INDEX reservations_live_by_service ON reservations (tenant_id, environment, service)
    WHERE ended_at IS NULL AND service <> '';

CREATE OR REPLACE FUNCTION chartly_lock_environment(
    p_tenant text, p_environment text, p_service text, p_current_replicas integer,
    p_now timestamptz, p_run_rate_hour timestamptz,
    OUT reserved_rate_nanos bigint, OUT reserved_cpu_cores double precision,
    OUT reserved_memory_gib double precision, OUT reserved_replicas integer
)
LANGUAGE plpgsql AS $$
DECLARE
    in_rate_rate bigint; in_rate_cpu double precision; in_rate_memory double precision; in_rate_replicas integer;
    lapsed_rate bigint; lapsed_cpu double precision; lapsed_memory double precision; lapsed_replicas integer;
BEGIN
    INSERT INTO environment_state (tenant_id, environment) VALUES (p_tenant, p_environment)
    ON CONFLICT (tenant_id, environment) DO UPDATE SET tenant_id = excluded.tenant_id;

    -- Reservations the run rate now includes (an hour that began after them is complete).
    WITH ended AS (
        UPDATE reservations SET ended_at = p_now, end_reason = 'in_run_rate'
        WHERE tenant_id = p_tenant AND environment = p_environment AND ended_at IS NULL AND created_at <= p_run_rate_hour
        RETURNING rate_nanos, cpu_cores, memory_gib, replicas
    )
    SELECT coalesce(sum(rate_nanos), 0), coalesce(sum(cpu_cores), 0), coalesce(sum(memory_gib), 0), coalesce(sum(replicas), 0)
    INTO in_rate_rate, in_rate_cpu, in_rate_memory, in_rate_replicas FROM ended;

    -- Unconfirmed reservations past their time to live.
    WITH ended AS (
        UPDATE reservations SET ended_at = p_now, end_reason = 'expired'
        WHERE tenant_id = p_tenant AND environment = p_environment AND ended_at IS NULL AND NOT confirmed AND expires_at <= p_now
        RETURNING rate_nanos, cpu_cores, memory_gib, replicas
    )
    SELECT coalesce(sum(rate_nanos), 0), coalesce(sum(cpu_cores), 0), coalesce(sum(memory_gib), 0), coalesce(sum(replicas), 0)
    INTO lapsed_rate, lapsed_cpu, lapsed_memory, lapsed_replicas FROM ended;

    -- The caller reports it runs at least the target: its scale happened.
    UPDATE reservations SET confirmed = true
    WHERE tenant_id = p_tenant AND environment = p_environment AND service = p_service
      AND ended_at IS NULL AND NOT confirmed AND target_replicas > 0 AND target_replicas <= p_current_replicas AND expires_at > p_now;

    UPDATE environment_state s
    SET reserved_rate_nanos = s.reserved_rate_nanos - in_rate_rate - lapsed_rate,
        reserved_cpu_cores = greatest(0, s.reserved_cpu_cores - in_rate_cpu - lapsed_cpu),
        reserved_memory_gib = greatest(0, s.reserved_memory_gib - in_rate_memory - lapsed_memory),
        reserved_replicas = s.reserved_replicas - in_rate_replicas - lapsed_replicas
    WHERE s.tenant_id = p_tenant AND s.environment = p_environment
    RETURNING s.reserved_rate_nanos, s.reserved_cpu_cores, s.reserved_memory_gib, s.reserved_replicas
    INTO reserved_rate_nanos, reserved_cpu_cores, reserved_memory_gib, reserved_replicas;
END;
$$;
