-- Caps, budgets, scaling policies and alert routes (config as code), the decision log,
-- reservations, and the per-environment rollups and running totals the decision path reads.

CREATE TABLE caps (
    tenant_id    text        NOT NULL,
    environment  text        NOT NULL,
    service      text        NOT NULL DEFAULT '',   -- '' is the environment's own cap
    name         text        NOT NULL,
    spec         jsonb       NOT NULL,
    version      integer     NOT NULL DEFAULT 1,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, environment, service)
);

CREATE TABLE budgets (
    tenant_id    text        NOT NULL,
    name         text        NOT NULL,
    environment  text        NOT NULL,
    service      text        NOT NULL DEFAULT '',
    enforce      boolean     NOT NULL DEFAULT false,
    spec         jsonb       NOT NULL,
    version      integer     NOT NULL DEFAULT 1,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, name)
);
CREATE INDEX budgets_by_environment ON budgets (tenant_id, environment);

CREATE TABLE scaling_policies (
    tenant_id    text        NOT NULL,
    environment  text        NOT NULL,
    service      text        NOT NULL,
    spec         jsonb       NOT NULL,
    version      integer     NOT NULL DEFAULT 1,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, environment, service)
);

CREATE TABLE alert_routes (
    tenant_id    text        NOT NULL,
    name         text        NOT NULL,
    spec         jsonb       NOT NULL,
    version      integer     NOT NULL DEFAULT 1,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, name)
);

-- Per-environment cost per hour and per day, with the resources in use: what caps read in O(hours).
CREATE TABLE cost_environment_hourly (
    tenant_id         text             NOT NULL,
    environment       text             NOT NULL,
    hour              timestamptz      NOT NULL,
    cost_nanos        bigint           NOT NULL,
    cpu_core_hours    double precision NOT NULL DEFAULT 0,
    memory_gib_hours  double precision NOT NULL DEFAULT 0,
    replica_hours     double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, environment, hour)
);

CREATE TABLE cost_environment_daily (
    tenant_id    text   NOT NULL,
    environment  text   NOT NULL,
    day          date   NOT NULL,
    cost_nanos   bigint NOT NULL,
    PRIMARY KEY (tenant_id, environment, day)
);

CREATE INDEX cost_daily_by_service ON cost_daily (tenant_id, environment, service, day);

-- One row per environment that decides: the lock every scale-up takes, and the running totals of its
-- live reservations (so a decision never sums them all).
CREATE TABLE environment_state (
    tenant_id            text             NOT NULL,
    environment          text             NOT NULL,
    reserved_rate_nanos  bigint           NOT NULL DEFAULT 0,
    reserved_cpu_cores   double precision NOT NULL DEFAULT 0,
    reserved_memory_gib  double precision NOT NULL DEFAULT 0,
    reserved_replicas    integer          NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, environment)
);

-- Every decision with its full input, snapshot and answer, as the exact bytes evaluated and returned.
CREATE TABLE decisions (
    tenant_id         text        NOT NULL,
    decision_id       uuid        NOT NULL,
    request_id        text        NOT NULL,
    environment       text        NOT NULL,
    service           text        NOT NULL,
    current_replicas  integer     NOT NULL,
    desired_replicas  integer     NOT NULL,
    outcome           text        NOT NULL,
    allowed_replicas  integer     NOT NULL,
    evaluated_at      timestamptz NOT NULL,
    request_json      text        NOT NULL,
    snapshot_json     text        NOT NULL,
    result_json       text        NOT NULL,
    PRIMARY KEY (tenant_id, decision_id),
    UNIQUE (tenant_id, request_id)
);
CREATE INDEX decisions_by_service ON decisions (tenant_id, environment, service, evaluated_at);

-- Approved increments not yet visible in the run rate.
CREATE TABLE reservations (
    tenant_id         text             NOT NULL,
    decision_id       uuid             NOT NULL,
    environment       text             NOT NULL,
    service           text             NOT NULL,
    replicas          integer          NOT NULL,
    target_replicas   integer          NOT NULL,
    rate_nanos        bigint           NOT NULL,
    cpu_cores         double precision NOT NULL,
    memory_gib        double precision NOT NULL,
    created_at        timestamptz      NOT NULL,
    expires_at        timestamptz      NOT NULL,
    confirmed         boolean          NOT NULL DEFAULT false,
    ended_at          timestamptz,
    end_reason        text,
    PRIMARY KEY (tenant_id, decision_id)
);
CREATE INDEX reservations_live ON reservations (tenant_id, environment, created_at) WHERE ended_at IS NULL;
CREATE INDEX reservations_live_by_service ON reservations (tenant_id, environment, service) WHERE ended_at IS NULL;

-- Existing cost becomes part of the environment rollups.
INSERT INTO cost_environment_hourly (tenant_id, environment, hour, cost_nanos, cpu_core_hours, memory_gib_hours, replica_hours)
SELECT tenant_id, environment, hour, sum(cost_nanos),
       coalesce(sum(quantity) FILTER (WHERE resource = 'cpu_cores' AND rate_version >= 0), 0),
       coalesce(sum(quantity) FILTER (WHERE resource = 'memory_gib'), 0),
       coalesce(sum(quantity) FILTER (WHERE resource = 'replicas'), 0)
FROM cost_hourly GROUP BY tenant_id, environment, hour;

INSERT INTO cost_environment_daily (tenant_id, environment, day, cost_nanos)
SELECT tenant_id, environment, day, sum(cost_nanos) FROM cost_daily GROUP BY tenant_id, environment, day;
