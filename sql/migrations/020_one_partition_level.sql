-- One partition level, keyed by tenant and time, so the schema distributes on Citus.
--
-- Migration 011 split raw usage and the hourly rollups first by tenant (LIST) and then by time (RANGE). Citus
-- refuses multi-level partitioned tables ("distributing multi-level partitioned tables is not supported"). The
-- same partitions now hang directly off the parent, which is partitioned by RANGE over (tenant_id, time):
--   usage_samples            RANGE (tenant_id, start_at), one partition per tenant and UTC day
--   cost_hourly              RANGE (tenant_id, hour),     one partition per tenant and UTC month
--   cost_environment_hourly  RANGE (tenant_id, hour),     one partition per tenant and UTC month
-- A partition's bounds are FROM (tenant, lower) TO (tenant, upper): it holds only that tenant's rows of that
-- span, so every tenant still has partitions of its own, retention still drops whole partitions per tenant, and
-- a query on one tenant and a time range still reads only its partitions (pruning works on the composite key).
--
-- Nothing is copied: each existing partition is detached from its tenant's table and attached to the new parent
-- with the same rows, indexes and storage parameters. A partition whose detach a crashed retention run left
-- pending is finished and dropped (retention had already recorded its horizon). The migration stops, and rolls
-- back, if any partition the service did not record would be left behind.

CREATE FUNCTION chartly_flatten_partitions(p_parent text, p_range_column text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    old_parent text := p_parent || '_before_020';
    p record;
    con record;
    leaf_name text;
    moved integer := 0;
    left_behind integer;
BEGIN
    FOR p IN
        SELECT c.name, c.tenant_id, c.lower_bound, c.upper_bound, t.relname::text AS tenant_table, i.inhdetachpending
        FROM chartly_partitions c
        JOIN pg_inherits i ON i.inhrelid = to_regclass(c.name)
        JOIN pg_class t ON t.oid = i.inhparent
        WHERE c.parent = p_parent
        ORDER BY c.tenant_id, c.lower_bound
    LOOP
        IF p.inhdetachpending THEN
            EXECUTE format('ALTER TABLE %I DETACH PARTITION %I FINALIZE', p.tenant_table, p.name);
            EXECUTE format('DROP TABLE %I', p.name);
            DELETE FROM chartly_partitions WHERE tenant_id = p.tenant_id AND parent = p_parent AND name = p.name;
            CONTINUE;
        END IF;
        EXECUTE format('ALTER TABLE %I DETACH PARTITION %I', p.tenant_table, p.name);
        -- The partition's CHECK constraints carry the names its old parent gave them (which depend on the
        -- tables' history, e.g. usage_samples_check1); the new parent's must be found by name.
        FOR con IN SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = to_regclass(p_parent) AND contype = 'c' LOOP
            SELECT k.conname INTO leaf_name FROM pg_constraint k
            WHERE k.conrelid = to_regclass(p.name) AND k.contype = 'c' AND pg_get_constraintdef(k.oid) = con.def
            ORDER BY k.conname = con.conname DESC LIMIT 1;
            IF leaf_name IS NOT NULL AND leaf_name <> con.conname THEN
                EXECUTE format('ALTER TABLE %I RENAME CONSTRAINT %I TO %I', p.name, leaf_name, con.conname);
            END IF;
        END LOOP;
        EXECUTE format(
            'ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L, %L) TO (%L, %L)',
            p_parent, p.name, p.tenant_id, p.lower_bound, p.tenant_id, p.upper_bound
        );
        moved := moved + 1;
    END LOOP;

    -- Every partition under the old tables must have moved: dropping them must not drop a row.
    SELECT count(*) INTO left_behind
    FROM pg_inherits tenant_level
    JOIN pg_inherits leaf ON leaf.inhparent = tenant_level.inhrelid
    WHERE tenant_level.inhparent = to_regclass(old_parent);
    IF left_behind > 0 THEN
        RAISE EXCEPTION '% partitions of % are not recorded in chartly_partitions; nothing was changed', left_behind, old_parent;
    END IF;
    EXECUTE format('DROP TABLE %I', old_parent);
    RETURN moved;
END;
$$;

-- Raw usage.
ALTER TABLE usage_samples RENAME TO usage_samples_before_020;
ALTER TABLE usage_samples_before_020 RENAME CONSTRAINT usage_samples_pkey TO usage_samples_before_020_pkey;
CREATE TABLE usage_samples (
    tenant_id    text             NOT NULL,
    environment  text             NOT NULL,
    service      text             NOT NULL,
    resource     text             NOT NULL,
    start_at     timestamptz      NOT NULL,
    end_at       timestamptz      NOT NULL,
    quantity     double precision NOT NULL,
    received_at  timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, environment, service, resource, start_at),
    CHECK (end_at > start_at),
    CHECK (quantity >= 0 AND quantity < 'Infinity'::double precision)
) PARTITION BY RANGE (tenant_id, start_at);
SELECT chartly_flatten_partitions('usage_samples', 'start_at');

-- Hourly rollups per service and resource.
ALTER TABLE cost_hourly RENAME TO cost_hourly_before_020;
ALTER TABLE cost_hourly_before_020 RENAME CONSTRAINT cost_hourly_pkey TO cost_hourly_before_020_pkey;
ALTER INDEX cost_hourly_by_environment_hour RENAME TO cost_hourly_before_020_by_environment_hour;
ALTER INDEX cost_hourly_by_hour RENAME TO cost_hourly_before_020_by_hour;
CREATE TABLE cost_hourly (
    tenant_id     text             NOT NULL,
    environment   text             NOT NULL,
    service       text             NOT NULL,
    resource      text             NOT NULL,
    hour          timestamptz      NOT NULL,
    rate_version  integer          NOT NULL,
    cost_nanos    bigint           NOT NULL,
    quantity      double precision NOT NULL,
    last_end      timestamptz      NOT NULL,
    PRIMARY KEY (tenant_id, environment, service, resource, hour, rate_version)
) PARTITION BY RANGE (tenant_id, hour);
CREATE INDEX cost_hourly_by_environment_hour ON cost_hourly (tenant_id, environment, hour);
CREATE INDEX cost_hourly_by_hour ON cost_hourly (tenant_id, hour);
SELECT chartly_flatten_partitions('cost_hourly', 'hour');

-- Hourly rollups per environment (the decision path's run rate).
ALTER TABLE cost_environment_hourly RENAME TO cost_environment_hourly_before_020;
ALTER TABLE cost_environment_hourly_before_020 RENAME CONSTRAINT cost_environment_hourly_pkey TO cost_environment_hourly_before_020_pkey;
CREATE TABLE cost_environment_hourly (
    tenant_id         text             NOT NULL,
    environment       text             NOT NULL,
    hour              timestamptz      NOT NULL,
    cost_nanos        bigint           NOT NULL,
    cpu_core_hours    double precision NOT NULL DEFAULT 0,
    memory_gib_hours  double precision NOT NULL DEFAULT 0,
    replica_hours     double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, environment, hour)
) PARTITION BY RANGE (tenant_id, hour);
SELECT chartly_flatten_partitions('cost_environment_hourly', 'hour');

DROP FUNCTION chartly_flatten_partitions(text, text);

-- As in migration 019, but the partition hangs directly off the parent, bounded by tenant and time. Since every
-- tenant's partitions share that parent, a new partition is made as a table of its own (LIKE the parent: columns,
-- defaults, CHECK constraints, indexes) and then attached. `CREATE TABLE … PARTITION OF` would take ACCESS EXCLUSIVE
-- on the parent: a tenant's first sample of a day would wait for every tenant's reads and writes of it, and hold up
-- every later one (measured: 2.5 s behind another tenant's 3-second transaction); ATTACH takes SHARE UPDATE
-- EXCLUSIVE, beside which reads and writes go on (0.04 s).
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
