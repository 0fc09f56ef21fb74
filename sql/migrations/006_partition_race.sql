-- Two sessions creating the same day's partition at once: the loser's catalog snapshot may not show the
-- winner's table even after the advisory lock, so CREATE can meet duplicate_table. That outcome is the
-- one wanted (the partition exists): treat it as such.
CREATE OR REPLACE FUNCTION chartly_ensure_usage_partition(day date) RETURNS boolean
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
    BEGIN
        EXECUTE format(
            'CREATE TABLE %I PARTITION OF usage_samples FOR VALUES FROM (%L) TO (%L)',
            partition_name, lower_bound, lower_bound + interval '1 day'
        );
    EXCEPTION WHEN duplicate_table THEN
        RETURN false;
    END;
    RETURN true;
END;
$$;
