-- API tokens and the append-only audit log.
-- Tokens are service-wide objects: they live under the reserved tenant '_system'
-- (not a valid tenant name, so it never collides), which keeps "every table leads with tenant_id".

CREATE TABLE api_tokens (
    tenant_id    text        NOT NULL DEFAULT '_system',
    id           text        NOT NULL,
    name         text        NOT NULL,
    scopes       text[]      NOT NULL,
    secret_hash  bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text        NOT NULL,
    expires_at   timestamptz,
    revoked_at   timestamptz,
    PRIMARY KEY (tenant_id, id)
);

-- Every change to tokens, caps, budgets, rate cards, policies and routes, with its actor.
CREATE TABLE audit_log (
    tenant_id    text        NOT NULL,
    id           bigint      GENERATED ALWAYS AS IDENTITY,
    at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_id     text        NOT NULL,
    actor_name   text        NOT NULL,
    action       text        NOT NULL,
    target_kind  text        NOT NULL,
    target       text        NOT NULL,
    before       jsonb,
    after        jsonb,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_log_by_id ON audit_log (id);

-- Append-only, enforced by the database itself: no UPDATE, DELETE or TRUNCATE, whoever asks.
CREATE FUNCTION chartly_audit_log_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION chartly_audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION chartly_audit_log_is_append_only();
