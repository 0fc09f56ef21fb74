import BudgetCore
import Foundation
import PostgresNIO

/// Writes a decision and, for an approved increment, its reservation and the environment's new total — prepared.
struct RecordDecisionStatement: PostgresPreparedStatement {
    typealias Row = Int64

    var tenant: String
    var decisionID: UUID
    var request: DecisionRequest
    var outcome: String
    var allowedReplicas: Int
    var evaluatedAt: Timestamp
    var requestJSON: String
    var snapshotJSON: String
    var resultJSON: String
    var reserve: Bool
    var replicas: Int
    var rateNanos: Int64
    var cpuCores: Double
    var memoryGiB: Double
    var expiresAt: Timestamp

    static let sql = writes + "\n" + count

    /// The writes, as common table expressions (`RecordDecisionAndWorkloadStatement` adds one).
    static let writes = """
        WITH decision AS (
            INSERT INTO decisions (tenant_id, decision_id, request_id, environment, service, current_replicas, desired_replicas,
                                   outcome, allowed_replicas, evaluated_at, request_json, snapshot_json, result_json)
            VALUES ($1, $2, $3, $4, $5, $6::int, $7::int, $8, $9::int, $10, $11, $12, $13)
            RETURNING 1
        ), reservation AS (
            INSERT INTO reservations (tenant_id, decision_id, environment, service, replicas, target_replicas, rate_nanos,
                                      cpu_cores, memory_gib, created_at, expires_at)
            SELECT $1, $2, $4, $5, $15::int, $9::int, $16, $17, $18, $10, $19
            WHERE $14::boolean
            RETURNING 1
        ), total AS (
            UPDATE environment_state
            SET reserved_rate_nanos = reserved_rate_nanos + $16, reserved_cpu_cores = reserved_cpu_cores + $17,
                reserved_memory_gib = reserved_memory_gib + $18, reserved_replicas = reserved_replicas + $15::int
            WHERE $14::boolean AND tenant_id = $1 AND environment = $4
            RETURNING 1
        ), scaled AS (
            INSERT INTO service_scaling_state (tenant_id, environment, service, last_scale_up_at, last_scale_down_at)
            SELECT $1, $4, $5,
                   CASE WHEN $7::int > $6::int THEN $10::timestamptz END,
                   CASE WHEN $7::int < $6::int THEN $10::timestamptz END
            WHERE $8 IN ('allow', 'clamp') AND $7::int <> $6::int
            ON CONFLICT (tenant_id, environment, service) DO UPDATE
            SET last_scale_up_at = greatest(service_scaling_state.last_scale_up_at, excluded.last_scale_up_at),
                last_scale_down_at = greatest(service_scaling_state.last_scale_down_at, excluded.last_scale_down_at)
            RETURNING 1
        )
        """

    static let count = """
        SELECT (SELECT count(*) FROM decision) + (SELECT count(*) FROM reservation) + (SELECT count(*) FROM total) + (SELECT count(*) FROM scaled)
        """

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 19)
        bindings.append(tenant)
        bindings.append(decisionID)
        bindings.append(request.requestID)
        bindings.append(request.environment)
        bindings.append(request.service)
        bindings.append(request.currentReplicas)
        bindings.append(request.desiredReplicas)
        bindings.append(outcome)
        bindings.append(allowedReplicas)
        bindings.append(evaluatedAt)
        bindings.append(requestJSON)
        bindings.append(snapshotJSON)
        bindings.append(resultJSON)
        bindings.append(reserve)
        bindings.append(replicas)
        bindings.append(rateNanos)
        bindings.append(cpuCores)
        bindings.append(memoryGiB)
        bindings.append(expiresAt)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Int64.self)
    }
}

/// The same writes and, in the same statement, what one replica of an admitted Kubernetes workload requests
/// (`rememberWorkload`, without a round trip or a transaction of its own). If the decision cannot be written (its
/// `request_id` is taken) neither is the workload.
struct RecordDecisionAndWorkloadStatement: PostgresPreparedStatement {
    typealias Row = Int64
    var base: RecordDecisionStatement
    var workload: KubernetesWorkload
    /// `workload.perReplica` as JSON.
    var perReplica: String

    static let sql = RecordDecisionStatement.writes + """
        , workload AS (
            INSERT INTO kubernetes_workloads (tenant_id, namespace, kind, name, environment, service, per_replica, decision_id, updated_at)
            VALUES ($1, $20, $21, $22, $23, $24, $25, $2, $26)
            ON CONFLICT (tenant_id, namespace, kind, name) DO UPDATE
            SET environment = excluded.environment, service = excluded.service, per_replica = excluded.per_replica,
                decision_id = excluded.decision_id, updated_at = excluded.updated_at
            WHERE kubernetes_workloads.updated_at <= excluded.updated_at
            RETURNING 1
        )
        """ + "\n" + RecordDecisionStatement.count + " + (SELECT count(*) FROM workload)"

    func makeBindings() throws -> PostgresBindings {
        var bindings = try base.makeBindings()
        bindings.append(workload.namespace)
        bindings.append(workload.kind)
        bindings.append(workload.name)
        bindings.append(workload.environment)
        bindings.append(workload.service)
        bindings.append(perReplica)
        bindings.append(workload.updatedAt)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Int64.self) }
}

/// The same writes on Citus, through `chartly_record_decision` (migration 022), run whole on the tenant's worker.
struct CitusRecordDecisionStatement: PostgresPreparedStatement {
    typealias Row = Int64
    var base: RecordDecisionStatement

    static let sql = """
        SELECT chartly_record_decision($1, $2, $3, $4, $5, $6::int, $7::int, $8, $9::int, $10, $11, $12, $13, $14::boolean, $15::int, $16::int8,
                                       $17::float8, $18::float8, $19)
        """

    func makeBindings() throws -> PostgresBindings { try base.makeBindings() }
    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Int64.self) }
}
