-- A tenant's configuration generation, so a decision reads its policy, caps, budgets and rate cards only when
-- they changed.
--
-- Every decision's snapshot statement built the environment's policy, caps, enforcing budgets and the tenant's
-- rate cards as JSON (`json_agg`, `json_build_object`): about a quarter of that statement's time in
-- PostgreSQL, for documents that change a few times a day. Now every write to those tables (any statement,
-- any path: the API, `apply`, a hand-run UPDATE) gives the tenant a new generation in the same transaction,
-- and the statement returns the documents only when the generation differs from the one the replica has
-- them for. The generation is read in the same statement as the documents would be, so a replica's copy is
-- exactly what it would have read.
--
-- Generations come from one sequence, so a value is never given twice, even to a tenant whose row was
-- deleted and written again.

CREATE SEQUENCE config_generation_seq;

CREATE TABLE config_generations (
    tenant_id   text   PRIMARY KEY,
    generation  bigint NOT NULL
);

INSERT INTO config_generations (tenant_id, generation)
SELECT tenant_id, nextval('config_generation_seq')
FROM (SELECT tenant_id FROM scaling_policies UNION SELECT tenant_id FROM caps UNION SELECT tenant_id FROM budgets
      UNION SELECT tenant_id FROM rate_cards UNION SELECT tenant_id FROM rate_card_prices) AS tenants;

CREATE FUNCTION chartly_new_config_generation() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    tenant text;
BEGIN
    IF TG_OP = 'DELETE' THEN tenant := OLD.tenant_id; ELSE tenant := NEW.tenant_id; END IF;
    INSERT INTO config_generations AS g (tenant_id, generation) VALUES (tenant, nextval('config_generation_seq'))
    ON CONFLICT (tenant_id) DO UPDATE SET generation = excluded.generation;
    -- A row moved to another tenant (never done by the service) renews that one too.
    IF TG_OP = 'UPDATE' AND OLD.tenant_id IS DISTINCT FROM NEW.tenant_id THEN
        INSERT INTO config_generations AS g (tenant_id, generation) VALUES (OLD.tenant_id, nextval('config_generation_seq'))
        ON CONFLICT (tenant_id) DO UPDATE SET generation = excluded.generation;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER scaling_policies_generation AFTER INSERT OR UPDATE OR DELETE ON scaling_policies
    FOR EACH ROW EXECUTE FUNCTION chartly_new_config_generation();
CREATE TRIGGER caps_generation AFTER INSERT OR UPDATE OR DELETE ON caps
    FOR EACH ROW EXECUTE FUNCTION chartly_new_config_generation();
CREATE TRIGGER budgets_generation AFTER INSERT OR UPDATE OR DELETE ON budgets
    FOR EACH ROW EXECUTE FUNCTION chartly_new_config_generation();
CREATE TRIGGER rate_cards_generation AFTER INSERT OR UPDATE OR DELETE ON rate_cards
    FOR EACH ROW EXECUTE FUNCTION chartly_new_config_generation();
CREATE TRIGGER rate_card_prices_generation AFTER INSERT OR UPDATE OR DELETE ON rate_card_prices
    FOR EACH ROW EXECUTE FUNCTION chartly_new_config_generation();

-- TRUNCATE fires no row trigger: every tenant gets a new generation.
CREATE FUNCTION chartly_new_config_generations() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE config_generations SET generation = nextval('config_generation_seq');
    RETURN NULL;
END;
$$;

CREATE TRIGGER scaling_policies_truncated AFTER TRUNCATE ON scaling_policies
    FOR EACH STATEMENT EXECUTE FUNCTION chartly_new_config_generations();
CREATE TRIGGER caps_truncated AFTER TRUNCATE ON caps
    FOR EACH STATEMENT EXECUTE FUNCTION chartly_new_config_generations();
CREATE TRIGGER budgets_truncated AFTER TRUNCATE ON budgets
    FOR EACH STATEMENT EXECUTE FUNCTION chartly_new_config_generations();
CREATE TRIGGER rate_cards_truncated AFTER TRUNCATE ON rate_cards
    FOR EACH STATEMENT EXECUTE FUNCTION chartly_new_config_generations();
CREATE TRIGGER rate_card_prices_truncated AFTER TRUNCATE ON rate_card_prices
    FOR EACH STATEMENT EXECUTE FUNCTION chartly_new_config_generations();
