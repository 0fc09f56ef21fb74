-- Reservations confirmed by usage: an approved scale-up whose new replicas show in the ingested usage is held
-- until the run rate includes it, even when the autoscaler never reports the new count in a later request.

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

    -- Usage shows the scale happened (DESIGN: a reservation is held "until usage shows it or it expires"):
    -- an unconfirmed reservation past its time to live is confirmed, not lapsed, when a sample of its service
    -- that began at or after the decision reaches the target — in replicas, or in the cores or memory the
    -- target's replicas use. An autoscaler that got what it asked for and stays put never sends the later
    -- request that would confirm it; without this its headroom would be granted twice before the run rate
    -- includes it (found by `chartly-budget simulate`).
    -- (No `target_replicas > 0` here: it would let the planner use reservations_unconfirmed_by_target, which
    -- reads every unconfirmed reservation of the environment, instead of reservations_unconfirmed by expiry.)
    UPDATE reservations r SET confirmed = true
    WHERE r.tenant_id = p_tenant AND r.environment = p_environment AND r.ended_at IS NULL AND NOT r.confirmed
      AND r.expires_at <= p_now
      AND EXISTS (
          SELECT 1 FROM usage_samples u
          WHERE u.tenant_id = r.tenant_id AND u.environment = r.environment AND u.service = r.service
            AND u.resource IN ('replicas', 'cpu_cores', 'memory_gib')
            AND u.start_at >= r.created_at AND u.start_at <= p_now
            AND u.quantity >= CASE u.resource
                WHEN 'replicas' THEN r.target_replicas
                WHEN 'cpu_cores' THEN CASE WHEN r.cpu_cores > 0 THEN r.cpu_cores / nullif(r.replicas, 0) * r.target_replicas ELSE 'Infinity' END
                ELSE CASE WHEN r.memory_gib > 0 THEN r.memory_gib / nullif(r.replicas, 0) * r.target_replicas ELSE 'Infinity' END
            END * (1 - 1e-9)
      );

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
