-- Alerts, their delivery outbox, budget-threshold marks and the anomaly detector's per-series state.

CREATE TABLE alerts (
    tenant_id         text        NOT NULL,
    id                uuid        NOT NULL,
    dedup_key         text        NOT NULL,
    kind              text        NOT NULL,
    severity          text        NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    state             text        NOT NULL CHECK (state IN ('firing', 'acknowledged', 'resolved')),
    environment       text        NOT NULL,
    service           text,
    summary           text        NOT NULL,
    details           jsonb       NOT NULL DEFAULT '{}',
    occurrences       integer     NOT NULL DEFAULT 1,
    fired_at          timestamptz NOT NULL,
    last_seen_at      timestamptz NOT NULL,
    resolved_at       timestamptz,
    acknowledged_at   timestamptz,
    acknowledged_by   text,
    last_notified_at  timestamptz,
    PRIMARY KEY (tenant_id, id)
);
-- At most one open alert per dedup key: a repeated condition updates it instead of raising another.
CREATE UNIQUE INDEX alerts_open_by_dedup ON alerts (tenant_id, dedup_key) WHERE state <> 'resolved';
CREATE INDEX alerts_by_time ON alerts (tenant_id, fired_at DESC);

-- Deliveries to alert routes, written in the transaction that raised or changed the alert.
CREATE TABLE alert_outbox (
    tenant_id        text        NOT NULL,
    id               bigint      GENERATED ALWAYS AS IDENTITY,
    alert_id         uuid        NOT NULL,
    route_name       text        NOT NULL,
    event            text        NOT NULL CHECK (event IN ('firing', 'resolved', 'reminder', 'acknowledged')),
    idempotency_key  text        NOT NULL,
    created_at       timestamptz NOT NULL,
    next_attempt_at  timestamptz NOT NULL,
    attempts         integer     NOT NULL DEFAULT 0,
    last_error       text,
    delivered_at     timestamptz,
    dead_at          timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX alert_outbox_due ON alert_outbox (next_attempt_at) WHERE delivered_at IS NULL AND dead_at IS NULL;

-- Each budget threshold fires once per period.
CREATE TABLE budget_threshold_marks (
    tenant_id     text        NOT NULL,
    budget_name   text        NOT NULL,
    period_start  timestamptz NOT NULL,
    basis         text        NOT NULL CHECK (basis IN ('actual', 'forecast')),
    threshold     integer     NOT NULL,
    alert_id      uuid        NOT NULL,
    marked_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, budget_name, period_start, basis, threshold)
);

-- The abnormal-growth detector's state per series ('' service: the whole environment), so a restart keeps baselines.
CREATE TABLE anomaly_series (
    tenant_id        text        NOT NULL,
    environment      text        NOT NULL,
    service          text        NOT NULL DEFAULT '',
    state            jsonb       NOT NULL,
    last_hour        timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, environment, service)
);
