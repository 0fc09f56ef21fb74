-- New partitions are attached, not created as partitions, so making one never waits for (or holds up) another
-- tenant's traffic.
--
-- Since migration 020 every tenant's partitions hang off the same parent. `CREATE TABLE … PARTITION OF` takes an
-- ACCESS EXCLUSIVE lock on the parent: a tenant's first sample of a day (or the look-ahead job) waited for every
-- transaction reading or writing any tenant's usage, and every later one queued behind it (measured: 2.5 s behind
-- one 3-second transaction of another tenant; the concurrent ingest and decision tests met the 30 s statement
-- timeout under load). The partition is now made as a table of its own (LIKE the parent: columns, defaults,
-- CHECK constraints, indexes) and attached, which takes SHARE UPDATE EXCLUSIVE: reads and writes go on beside it.

CREATE OR REPLACE FUNCTION chartly_ensure_partition(p_parent text, p_tenant text, p_at timestamptz) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    local_start timestamp;
    lower_bound timestamptz;
    upper_bound timestamptz;
    partition_name text;
    kept timestamptz;
    storage text := '';
BEGIN
    IF p_parent = 'usage_samples' THEN
        local_start := date_trunc('day', p_at AT TIME ZONE 'UTC');
        lower_bound := local_start AT TIME ZONE 'UTC';
        upper_bound := (local_start + interval '1 day') AT TIME ZONE 'UTC';
        partition_name := p_parent || '_t_' || left(md5(p_tenant), 16) || '_' || to_char(local_start, 'YYYYMMDD');
    ELSIF p_parent IN ('cost_hourly', 'cost_environment_hourly') THEN
        local_start := date_trunc('month', p_at AT TIME ZONE 'UTC');
        lower_bound := local_start AT TIME ZONE 'UTC';
        upper_bound := (local_start + interval '1 month') AT TIME ZONE 'UTC';
        partition_name := p_parent || '_t_' || left(md5(p_tenant), 16) || '_' || to_char(local_start, 'YYYYMM');
        storage := ' WITH (fillfactor = 70)';
    ELSE
        RAISE EXCEPTION 'chartly_ensure_partition: unknown parent %', p_parent;
    END IF;

    IF to_regclass(partition_name) IS NOT NULL THEN
        RETURN false;
    END IF;
    SELECT h.kept_from INTO kept FROM retention_horizons h WHERE h.tenant_id = p_tenant AND h.parent = p_parent;
    IF kept IS NOT NULL AND lower_bound < kept THEN
        RAISE EXCEPTION 'data of tenant % before % has been dropped by retention', p_tenant, to_char(kept AT TIME ZONE 'UTC', 'YYYY-MM-DD')
            USING ERRCODE = 'CBR01', DETAIL = kept::text;
    END IF;

    PERFORM pg_advisory_xact_lock(hashtext('chartly_partitions'));
    IF to_regclass(partition_name) IS NOT NULL THEN
        RETURN false;
    END IF;
    BEGIN
        -- Made on its own, then attached: ATTACH takes SHARE UPDATE EXCLUSIVE on the parent, which every tenant's
        -- reads and writes go on beside, where CREATE TABLE … PARTITION OF takes ACCESS EXCLUSIVE and would wait
        -- for all of them, and hold up every later one, while it waits.
        EXECUTE format(
            'CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)',
            partition_name, p_parent
        ) || storage;
        EXECUTE format(
            'ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L, %L) TO (%L, %L)',
            p_parent, partition_name, p_tenant, lower_bound, p_tenant, upper_bound
        );
    EXCEPTION WHEN duplicate_table THEN
        -- Another session's catalog change was not yet visible: the partition exists, as wanted.
        RETURN false;
    END;
    INSERT INTO chartly_partitions (tenant_id, parent, lower_bound, upper_bound, name)
    VALUES (p_tenant, p_parent, lower_bound, upper_bound, partition_name)
    ON CONFLICT DO NOTHING;
    RETURN true;
END;
$$;
