-- Per-tenant partitions, so retention is per tenant and still drops whole partitions:
--   usage_samples            LIST (tenant_id) → RANGE (start_at), one partition per UTC day
--   cost_hourly              LIST (tenant_id) → RANGE (hour),     one partition per UTC month
--   cost_environment_hourly  LIST (tenant_id) → RANGE (hour),     one partition per UTC month
-- One tenant's growth lives in its own tables and indexes: another tenant's reads and writes never walk it.
-- Daily rollups stay unpartitioned (small, kept for the tenant's lifetime).

-- Every partition the service created, for the look-ahead and retention jobs.
CREATE TABLE chartly_partitions (
    tenant_id    text        NOT NULL,
    parent       text        NOT NULL,
    lower_bound  timestamptz NOT NULL,
    upper_bound  timestamptz NOT NULL,
    name         text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, parent, lower_bound)
);

-- What retention has dropped: data of a tenant before kept_from is gone, and its partitions are never
-- created again (a late sample there could no longer be deduplicated against what was counted).
CREATE TABLE retention_horizons (
    tenant_id   text        NOT NULL,
    parent      text        NOT NULL,
    kept_from   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, parent)
);

-- Creates the partition of `p_parent` holding instant `p_at` for `p_tenant` (and the tenant's own
-- sub-partitioned table first) when missing. Serialised by an advisory lock so replicas, the look-ahead job
-- and concurrent ingests never race on DDL. Refuses (SQLSTATE CBR01) a partition retention has dropped.
CREATE FUNCTION chartly_ensure_partition(p_parent text, p_tenant text, p_at timestamptz) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    tenant_table text := p_parent || '_t_' || left(md5(p_tenant), 16);
    range_column text;
    local_start timestamp;
    lower_bound timestamptz;
    upper_bound timestamptz;
    partition_name text;
    kept timestamptz;
BEGIN
    IF p_parent = 'usage_samples' THEN
        range_column := 'start_at';
        local_start := date_trunc('day', p_at AT TIME ZONE 'UTC');
        lower_bound := local_start AT TIME ZONE 'UTC';
        upper_bound := (local_start + interval '1 day') AT TIME ZONE 'UTC';
        partition_name := tenant_table || '_' || to_char(local_start, 'YYYYMMDD');
    ELSIF p_parent IN ('cost_hourly', 'cost_environment_hourly') THEN
        range_column := 'hour';
        local_start := date_trunc('month', p_at AT TIME ZONE 'UTC');
        lower_bound := local_start AT TIME ZONE 'UTC';
        upper_bound := (local_start + interval '1 month') AT TIME ZONE 'UTC';
        partition_name := tenant_table || '_' || to_char(local_start, 'YYYYMM');
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
        IF to_regclass(tenant_table) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF %I FOR VALUES IN (%L) PARTITION BY RANGE (%I)',
                tenant_table, p_parent, p_tenant, range_column
            );
        END IF;
        EXECUTE format(
            'CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
            partition_name, tenant_table, lower_bound, upper_bound
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

-- Raw usage: move the day-partitioned table's rows into the tenant-partitioned one.
ALTER TABLE usage_samples RENAME TO usage_samples_before_011;
ALTER TABLE usage_samples_before_011 RENAME CONSTRAINT usage_samples_pkey TO usage_samples_before_011_pkey;
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
) PARTITION BY LIST (tenant_id);
SELECT chartly_ensure_partition('usage_samples', tenant_id, day)
FROM (SELECT DISTINCT tenant_id, date_trunc('day', start_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day FROM usage_samples_before_011) AS d;
INSERT INTO usage_samples SELECT * FROM usage_samples_before_011;
DROP TABLE usage_samples_before_011;
DROP FUNCTION chartly_ensure_usage_partition(date);

-- Hourly rollups per service and resource.
ALTER TABLE cost_hourly RENAME TO cost_hourly_before_011;
ALTER TABLE cost_hourly_before_011 RENAME CONSTRAINT cost_hourly_pkey TO cost_hourly_before_011_pkey;
ALTER INDEX cost_hourly_by_environment_hour RENAME TO cost_hourly_before_011_by_environment_hour;
ALTER INDEX cost_hourly_by_hour RENAME TO cost_hourly_before_011_by_hour;
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
) PARTITION BY LIST (tenant_id);
CREATE INDEX cost_hourly_by_environment_hour ON cost_hourly (tenant_id, environment, hour);
CREATE INDEX cost_hourly_by_hour ON cost_hourly (tenant_id, hour);
SELECT chartly_ensure_partition('cost_hourly', tenant_id, month)
FROM (SELECT DISTINCT tenant_id, date_trunc('month', hour AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS month FROM cost_hourly_before_011) AS m;
INSERT INTO cost_hourly SELECT * FROM cost_hourly_before_011;
DROP TABLE cost_hourly_before_011;

-- Hourly rollups per environment (the decision path's run rate).
ALTER TABLE cost_environment_hourly RENAME TO cost_environment_hourly_before_011;
ALTER TABLE cost_environment_hourly_before_011 RENAME CONSTRAINT cost_environment_hourly_pkey TO cost_environment_hourly_before_011_pkey;
CREATE TABLE cost_environment_hourly (
    tenant_id         text             NOT NULL,
    environment       text             NOT NULL,
    hour              timestamptz      NOT NULL,
    cost_nanos        bigint           NOT NULL,
    cpu_core_hours    double precision NOT NULL DEFAULT 0,
    memory_gib_hours  double precision NOT NULL DEFAULT 0,
    replica_hours     double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, environment, hour)
) PARTITION BY LIST (tenant_id);
SELECT chartly_ensure_partition('cost_environment_hourly', tenant_id, month)
FROM (SELECT DISTINCT tenant_id, date_trunc('month', hour AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS month FROM cost_environment_hourly_before_011) AS m;
INSERT INTO cost_environment_hourly SELECT * FROM cost_environment_hourly_before_011;
DROP TABLE cost_environment_hourly_before_011;
