-- Per-tenant retention (NULL: the documented defaults) and when each maintenance job last finished.
ALTER TABLE tenant_settings
    ADD COLUMN raw_retention_days integer CHECK (raw_retention_days BETWEEN 3 AND 3650),
    ADD COLUMN hourly_retention_months integer CHECK (hourly_retention_months BETWEEN 1 AND 120);

CREATE TABLE maintenance_runs (
    tenant_id    text        NOT NULL DEFAULT '_system',
    job          text        NOT NULL,
    finished_at  timestamptz NOT NULL,
    summary      text        NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, job)
);
