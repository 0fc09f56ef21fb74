-- Ingest inserts a batch with a plain INSERT and falls back to ON CONFLICT DO NOTHING only when a sample is
-- already stored. `INSERT … ON CONFLICT` checks the primary key before each row and inserts it after (two
-- descents of the text-keyed B-tree per sample); a plain INSERT checks uniqueness on its way in (one).
-- Re-sent batches, the only source of duplicates, pay for the failed attempt; every other batch does not.
-- Returns how many samples this call stored.

CREATE FUNCTION chartly_insert_usage(
    p_tenant text, p_environments text[], p_services text[], p_resources text[],
    p_starts timestamptz[], p_ends timestamptz[], p_quantities double precision[]
) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    stored bigint;
BEGIN
    BEGIN
        INSERT INTO usage_samples (tenant_id, environment, service, resource, start_at, end_at, quantity)
        SELECT p_tenant, e, s, r, st, en, q
        FROM unnest(p_environments, p_services, p_resources, p_starts, p_ends, p_quantities) AS t(e, s, r, st, en, q);
        GET DIAGNOSTICS stored = ROW_COUNT;
        RETURN stored;
    EXCEPTION WHEN unique_violation THEN
        -- The failed attempt is rolled back (a subtransaction); store what is new and skip what is there.
        INSERT INTO usage_samples (tenant_id, environment, service, resource, start_at, end_at, quantity)
        SELECT p_tenant, e, s, r, st, en, q
        FROM unnest(p_environments, p_services, p_resources, p_starts, p_ends, p_quantities) AS t(e, s, r, st, en, q)
        ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS stored = ROW_COUNT;
        RETURN stored;
    END;
END;
$$;
