-- A scale-up's lock in two statements when there is nothing to end or confirm, which is most of the time.
--
-- Migration 012's `chartly_lock_environment` ran six statements on every scale-up: the upsert that locks the
-- environment's row, three updates that end or confirm reservations (in the run rate now, confirmed by usage,
-- lapsed), the confirmation by the caller's reported count, and the update of the reserved totals. Each update
-- costs an executor start-up even when it matches nothing, and on the decision path that was most of
-- PostgreSQL's work. Now:
--   1. the row is locked with SELECT … FOR UPDATE (inserted only on the environment's first scale-up);
--   2. one probe of the partial indexes says whether any reservation is due to end, to be confirmed by usage,
--      or to be confirmed by the caller;
--   3. only the statements the probe asks for run, in the same order as before, and the totals are updated
--      only when reservations ended.
-- The outcome is the same as 012's in every case; the decision and reservation tests cover each branch.

CREATE OR REPLACE FUNCTION chartly_lock_environment(
    p_tenant text, p_environment text, p_service text, p_current_replicas integer,
    p_now timestamptz, p_run_rate_hour timestamptz,
    OUT reserved_rate_nanos bigint, OUT reserved_cpu_cores double precision,
    OUT reserved_memory_gib double precision, OUT reserved_replicas integer
)
LANGUAGE plpgsql AS $$
DECLARE
    due_to_end boolean; confirmable boolean;
    in_rate_rate bigint; in_rate_cpu double precision; in_rate_memory double precision; in_rate_replicas integer;
    lapsed_rate bigint; lapsed_cpu double precision; lapsed_memory double precision; lapsed_replicas integer;
BEGIN
    SELECT s.reserved_rate_nanos, s.reserved_cpu_cores, s.reserved_memory_gib, s.reserved_replicas
    INTO reserved_rate_nanos, reserved_cpu_cores, reserved_memory_gib, reserved_replicas
    FROM environment_state s
    WHERE s.tenant_id = p_tenant AND s.environment = p_environment
    FOR UPDATE;
    IF NOT FOUND THEN
        -- The environment's first scale-up (or a concurrent first one: ON CONFLICT then waits for it and locks).
        INSERT INTO environment_state AS s (tenant_id, environment) VALUES (p_tenant, p_environment)
        ON CONFLICT (tenant_id, environment) DO UPDATE SET tenant_id = excluded.tenant_id
        RETURNING s.reserved_rate_nanos, s.reserved_cpu_cores, s.reserved_memory_gib, s.reserved_replicas
        INTO reserved_rate_nanos, reserved_cpu_cores, reserved_memory_gib, reserved_replicas;
    END IF;

    SELECT EXISTS (
               SELECT 1 FROM reservations r
               WHERE r.tenant_id = p_tenant AND r.environment = p_environment AND r.ended_at IS NULL
                 AND r.created_at <= p_run_rate_hour
           ) OR EXISTS (
               SELECT 1 FROM reservations r
               WHERE r.tenant_id = p_tenant AND r.environment = p_environment AND r.ended_at IS NULL AND NOT r.confirmed
                 AND r.expires_at <= p_now
           ),
           EXISTS (
               SELECT 1 FROM reservations r
               WHERE r.tenant_id = p_tenant AND r.environment = p_environment AND r.service = p_service
                 AND r.ended_at IS NULL AND NOT r.confirmed AND r.target_replicas > 0
                 AND r.target_replicas <= p_current_replicas AND r.expires_at > p_now
           )
    INTO due_to_end, confirmable;

    IF due_to_end THEN
        -- Reservations the run rate now includes (an hour that began after them is complete).
        WITH ended AS (
            UPDATE reservations SET ended_at = p_now, end_reason = 'in_run_rate'
            WHERE tenant_id = p_tenant AND environment = p_environment AND ended_at IS NULL AND created_at <= p_run_rate_hour
            RETURNING rate_nanos, cpu_cores, memory_gib, replicas
        )
        SELECT coalesce(sum(rate_nanos), 0), coalesce(sum(cpu_cores), 0), coalesce(sum(memory_gib), 0), coalesce(sum(replicas), 0)
        INTO in_rate_rate, in_rate_cpu, in_rate_memory, in_rate_replicas FROM ended;

        -- Usage shows the scale happened (migration 012): a lapsed reservation is confirmed, not ended, when a
        -- sample of its service that began at or after the decision reaches the target.
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
    END IF;

    IF confirmable THEN
        -- The caller reports it runs at least the target: its scale happened.
        UPDATE reservations SET confirmed = true
        WHERE tenant_id = p_tenant AND environment = p_environment AND service = p_service
          AND ended_at IS NULL AND NOT confirmed AND target_replicas > 0 AND target_replicas <= p_current_replicas AND expires_at > p_now;
    END IF;

    IF due_to_end THEN
        UPDATE environment_state s
        SET reserved_rate_nanos = s.reserved_rate_nanos - in_rate_rate - lapsed_rate,
            reserved_cpu_cores = greatest(0, s.reserved_cpu_cores - in_rate_cpu - lapsed_cpu),
            reserved_memory_gib = greatest(0, s.reserved_memory_gib - in_rate_memory - lapsed_memory),
            reserved_replicas = s.reserved_replicas - in_rate_replicas - lapsed_replicas
        WHERE s.tenant_id = p_tenant AND s.environment = p_environment
        RETURNING s.reserved_rate_nanos, s.reserved_cpu_cores, s.reserved_memory_gib, s.reserved_replicas
        INTO reserved_rate_nanos, reserved_cpu_cores, reserved_memory_gib, reserved_replicas;
    END IF;
END;
$$;
