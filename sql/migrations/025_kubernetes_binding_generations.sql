-- Kubernetes bindings count into the tenant's configuration generation (migration 018), so the webhook can keep
-- a tenant's bindings by generation as decisions keep their configuration: a review reads no binding when
-- nothing changed, and the decision's own snapshot statement tells whether something did.
--
-- Every write to `kubernetes_bindings` (any statement, any path) now gives the tenant a new generation in the
-- same transaction. A tenant that has bindings but no generation row yet gets one here.

INSERT INTO config_generations (tenant_id, generation)
SELECT DISTINCT tenant_id, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint FROM kubernetes_bindings
ON CONFLICT (tenant_id) DO NOTHING;

CREATE TRIGGER kubernetes_bindings_generation AFTER INSERT OR UPDATE OR DELETE ON kubernetes_bindings
    FOR EACH ROW EXECUTE FUNCTION chartly_new_config_generation();
CREATE TRIGGER kubernetes_bindings_truncated AFTER TRUNCATE ON kubernetes_bindings
    FOR EACH STATEMENT EXECUTE FUNCTION chartly_new_config_generations();
