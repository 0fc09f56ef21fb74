-- Configuration generations without a sequence, so the triggers of migration 018 also run on Citus workers.
--
-- On Citus the row triggers fire on the shards, in the workers, where `config_generation_seq` does not exist
-- (a sequence is only created on the coordinator). A generation is now the later of the tenant's previous one
-- plus one and the current time in microseconds since 1970: it still only grows for a tenant (a replica's copy is
-- never mistaken for a newer one), and a tenant whose row was deleted and written again starts above every value
-- it was given before. Values from the sequence were small counters, so every value given from now on is larger
-- than any given before this migration.

CREATE OR REPLACE FUNCTION chartly_new_config_generation() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    tenant text;
BEGIN
    IF TG_OP = 'DELETE' THEN tenant := OLD.tenant_id; ELSE tenant := NEW.tenant_id; END IF;
    INSERT INTO config_generations AS g (tenant_id, generation)
    VALUES (tenant, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
    ON CONFLICT (tenant_id) DO UPDATE SET generation = greatest(g.generation + 1, excluded.generation);
    -- A row moved to another tenant (never done by the service) renews that one too.
    IF TG_OP = 'UPDATE' AND OLD.tenant_id IS DISTINCT FROM NEW.tenant_id THEN
        INSERT INTO config_generations AS g (tenant_id, generation)
        VALUES (OLD.tenant_id, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
        ON CONFLICT (tenant_id) DO UPDATE SET generation = greatest(g.generation + 1, excluded.generation);
    END IF;
    RETURN NULL;
END;
$$;

-- TRUNCATE fires no row trigger: every tenant gets a new generation.
CREATE OR REPLACE FUNCTION chartly_new_config_generations() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE config_generations SET generation = generation + 1;
    RETURN NULL;
END;
$$;

DROP SEQUENCE config_generation_seq;
