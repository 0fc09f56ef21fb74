-- Usage from Prometheus remote write (issue #21).
--
-- prometheus_mappings: PrometheusMapping documents (which series are which usage), versioned like alert routes.
-- prometheus_series:   one row per series a mapping took: the newest sample seen and what it is. A sample is counted
--                      when the series' next one arrives (a gauge holds until then; a counter's increase is known
--                      then), in the transaction that moves `last_at` forward, so a re-sent sample (at or before
--                      `last_at`) is never counted twice, and one the service answered 204 for is never lost.
-- prometheus_writes:   per tenant, the last write and running totals, for GET …/prometheus/status.
-- prometheus_dropped:  per tenant, metric and reason, the samples dropped and when last.

CREATE TABLE prometheus_mappings (
    tenant_id    text        NOT NULL,
    name         text        NOT NULL,
    spec         jsonb       NOT NULL,
    version      integer     NOT NULL DEFAULT 1,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE prometheus_series (
    tenant_id    text             NOT NULL,
    -- SHA-256 of the series' sorted labels, hex (first 16 bytes).
    series_id    text             NOT NULL,
    metric       text             NOT NULL,
    labels       text             NOT NULL,
    -- `mapping/index` of the rule that took it.
    rule         text             NOT NULL,
    environment  text             NOT NULL,
    service      text             NOT NULL,
    resource     text             NOT NULL,
    counter      boolean          NOT NULL,
    -- The newest sample: its time and its value after the rule's scale (NULL until the first).
    last_at      timestamptz,
    last_value   double precision,
    -- The spacing of its last two samples, in milliseconds: how long the last one holds when no next one comes.
    interval_ms  bigint,
    -- A staleness marker (or a later write of the tenant 10 minutes past it) ended it: its last sample is counted.
    ended        boolean          NOT NULL DEFAULT false,
    first_at     timestamptz      NOT NULL DEFAULT now(),
    updated_at   timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, series_id)
);
CREATE INDEX prometheus_series_open ON prometheus_series (tenant_id, last_at) WHERE NOT ended;

CREATE TABLE prometheus_writes (
    tenant_id       text        NOT NULL PRIMARY KEY,
    last_write_at   timestamptz NOT NULL,
    last_sample_at  timestamptz,
    writes          bigint      NOT NULL DEFAULT 0,
    samples         bigint      NOT NULL DEFAULT 0,
    counted         bigint      NOT NULL DEFAULT 0,
    resent          bigint      NOT NULL DEFAULT 0,
    dropped         bigint      NOT NULL DEFAULT 0
);

CREATE TABLE prometheus_dropped (
    tenant_id   text        NOT NULL,
    metric      text        NOT NULL,
    reason      text        NOT NULL,
    samples     bigint      NOT NULL,
    last_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, metric, reason)
);
