-- A tenant's own ingest limit, overriding the service's (`serve --tenant-ingest-rate/--tenant-ingest-burst`)
-- for that tenant only: a noisy tenant held lower, a large one allowed more. Null is the service's default.
-- Set with PUT …/settings (`ingest_samples_per_second`, `ingest_burst_samples`); every replica reloads the
-- overrides every few seconds, and the replica that took the PUT applies it at once.
ALTER TABLE tenant_settings
    ADD COLUMN ingest_rate double precision CHECK (ingest_rate > 0 AND ingest_rate <= 1e9),
    ADD COLUMN ingest_burst double precision CHECK (ingest_burst >= 1 AND ingest_burst <= 1e12),
    ADD CONSTRAINT tenant_settings_ingest_limit_whole CHECK ((ingest_rate IS NULL) = (ingest_burst IS NULL));
