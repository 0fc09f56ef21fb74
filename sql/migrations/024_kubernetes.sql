-- Kubernetes admission (issue 22): the clusters bound to a tenant, and what each admitted workload's replica
-- requests, so that a change through the `scale` subresource (which carries no pod template) is priced.

CREATE TABLE kubernetes_bindings (
    tenant_id    text        NOT NULL,
    name         text        NOT NULL,
    spec         jsonb       NOT NULL,
    version      integer     NOT NULL DEFAULT 1,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, name)
);

-- One row per workload (namespace, kind, name) last admitted with a pod template: its service and
-- environment, and one replica's requests as the decision request's `per_replica` JSON.
CREATE TABLE kubernetes_workloads (
    tenant_id    text        NOT NULL,
    namespace    text        NOT NULL,
    kind         text        NOT NULL,
    name         text        NOT NULL,
    environment  text        NOT NULL,
    service      text        NOT NULL,
    per_replica  text        NOT NULL,
    decision_id  uuid        NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, namespace, kind, name)
);
