-- Usage samples: the raw input, one row per (tenant, environment, service, resource, start).
-- Range-partitioned by day on start_at so retention can drop whole partitions.
-- Every table leads with tenant_id and every key includes it (Citus-ready).

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
) PARTITION BY RANGE (start_at);

-- Creates the daily partition holding `day` (UTC) when it is missing.
-- Serialised by an advisory lock so replicas and concurrent ingests never race on DDL.
CREATE FUNCTION chartly_ensure_usage_partition(day date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    partition_name text := 'usage_samples_p' || to_char(day, 'YYYYMMDD');
    lower_bound timestamptz := (day::timestamp AT TIME ZONE 'UTC');
BEGIN
    IF to_regclass(partition_name) IS NOT NULL THEN
        RETURN false;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('chartly_usage_partitions'));
    IF to_regclass(partition_name) IS NOT NULL THEN
        RETURN false;
    END IF;
    EXECUTE format(
        'CREATE TABLE %I PARTITION OF usage_samples FOR VALUES FROM (%L) TO (%L)',
        partition_name, lower_bound, lower_bound + interval '1 day'
    );
    RETURN true;
END;
$$;
