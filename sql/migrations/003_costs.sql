-- Rate cards, the hourly and daily cost rollups (the read model), tenant settings and billed costs.
-- Money is bigint nano-units (10^-9 of the currency unit); prices are bigint pico-units (10^-12).

CREATE TABLE tenant_settings (
    tenant_id         text        NOT NULL,
    period_kind       text        NOT NULL DEFAULT 'month' CHECK (period_kind IN ('month', 'day')),
    period_start_day  integer     NOT NULL DEFAULT 1 CHECK (period_start_day BETWEEN 1 AND 28),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id)
);

CREATE TABLE rate_cards (
    tenant_id       text        NOT NULL,
    version         integer     NOT NULL CHECK (version > 0),
    effective_from  timestamptz NOT NULL,
    currency        text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      text        NOT NULL,
    PRIMARY KEY (tenant_id, version),
    UNIQUE (tenant_id, effective_from)
);

CREATE TABLE rate_card_prices (
    tenant_id    text    NOT NULL,
    version      integer NOT NULL,
    resource     text    NOT NULL,
    price_picos  bigint  NOT NULL CHECK (price_picos >= 0),
    PRIMARY KEY (tenant_id, version, resource),
    FOREIGN KEY (tenant_id, version) REFERENCES rate_cards (tenant_id, version)
);

-- Hourly cost per (environment, service, resource, hour, rate-card version); version 0 holds unpriced usage.
-- Maintained in the ingest transaction, so a read never sees usage without its cost.
CREATE TABLE cost_hourly (
    tenant_id     text             NOT NULL,
    environment   text             NOT NULL,
    service       text             NOT NULL,
    resource      text             NOT NULL,
    hour          timestamptz      NOT NULL,
    rate_version  integer          NOT NULL,
    cost_nanos    bigint           NOT NULL,
    quantity      double precision NOT NULL,
    last_end      timestamptz      NOT NULL,
    PRIMARY KEY (tenant_id, environment, service, resource, hour, rate_version)
);
CREATE INDEX cost_hourly_by_environment_hour ON cost_hourly (tenant_id, environment, hour);
CREATE INDEX cost_hourly_by_hour ON cost_hourly (tenant_id, hour);

-- Daily cost per (environment, service, day, version): what period totals and status read.
CREATE TABLE cost_daily (
    tenant_id     text    NOT NULL,
    environment   text    NOT NULL,
    service       text    NOT NULL,
    day           date    NOT NULL,
    rate_version  integer NOT NULL,
    cost_nanos    bigint  NOT NULL,
    PRIMARY KEY (tenant_id, environment, day, service, rate_version)
);

-- Billed cost from a provider's FOCUS 1.0 export, beside the estimate.
CREATE TABLE billed_costs (
    tenant_id             text        NOT NULL,
    row_key               text        NOT NULL,
    charge_period_start   timestamptz NOT NULL,
    charge_period_end     timestamptz NOT NULL,
    environment           text        NOT NULL,
    service               text        NOT NULL,
    provider              text,
    provider_service      text,
    charge_category       text,
    currency              text        NOT NULL,
    billed_nanos          bigint      NOT NULL,
    effective_nanos       bigint      NOT NULL,
    imported_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, row_key)
);
CREATE INDEX billed_costs_by_time ON billed_costs (tenant_id, charge_period_start);
