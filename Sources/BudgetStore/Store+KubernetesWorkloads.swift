import BudgetCore
import Foundation
import Logging
import PostgresNIO

/// A Kubernetes workload as last admitted with its pod template (migration 024).
public struct KubernetesWorkload: Sendable, Hashable {
    public var namespace: String
    public var kind: String
    public var name: String
    public var environment: String
    public var service: String
    /// One replica's requests, as a decision request's `per_replica`.
    public var perReplica: [String: Double]
    public var decisionID: UUID
    public var updatedAt: Timestamp

    public init(
        namespace: String, kind: String, name: String, environment: String, service: String, perReplica: [String: Double],
        decisionID: UUID, updatedAt: Timestamp
    ) {
        self.namespace = namespace
        self.kind = kind
        self.name = name
        self.environment = environment
        self.service = service
        self.perReplica = perReplica
        self.decisionID = decisionID
        self.updatedAt = updatedAt
    }
}

extension BudgetStore {
    /// Remembers what one replica of an admitted workload requests (a later `scale` is priced with it).
    public func rememberWorkload(tenant: String, _ workload: KubernetesWorkload) async throws {
        let logger = self.logger
        let perReplica = try ConfigJSON.encode(workload.perReplica)
        // Not waiting for the WAL flush: the decision it follows is already durable, and a memory lost in a crash
        // only makes a later scale subresource fall back to the service's usage per replica (or fail closed).
        // Waiting doubled the webhook's latency (bench --only webhook).
        try await transaction("remember-workload") { connection in
            try await connection.perform("SET LOCAL synchronous_commit = off", logger: logger)
            try await connection.perform(
                """
                INSERT INTO kubernetes_workloads (tenant_id, namespace, kind, name, environment, service, per_replica, decision_id, updated_at)
                VALUES (\(tenant), \(workload.namespace), \(workload.kind), \(workload.name), \(workload.environment), \(workload.service),
                        \(perReplica), \(workload.decisionID), \(workload.updatedAt))
                ON CONFLICT (tenant_id, namespace, kind, name) DO UPDATE
                SET environment = excluded.environment, service = excluded.service, per_replica = excluded.per_replica,
                    decision_id = excluded.decision_id, updated_at = excluded.updated_at
                WHERE kubernetes_workloads.updated_at <= excluded.updated_at
                """,
                logger: logger
            )
        }
    }

    /// The workload as last admitted, or nil.
    public func workload(tenant: String, namespace: String, kind: String, name: String) async throws -> KubernetesWorkload? {
        let logger = self.logger
        return try await withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT environment, service, per_replica, decision_id, updated_at FROM kubernetes_workloads
                WHERE tenant_id = \(tenant) AND namespace = \(namespace) AND kind = \(kind) AND name = \(name)
                """,
                logger: logger
            )
            for try await (environment, service, perReplica, decisionID, updatedAt) in rows.decode((String, String, String, UUID, Timestamp).self) {
                return KubernetesWorkload(
                    namespace: namespace, kind: kind, name: name, environment: environment, service: service,
                    perReplica: try ConfigJSON.decode([String: Double].self, from: perReplica), decisionID: decisionID, updatedAt: updatedAt
                )
            }
            return nil
        }
    }

    /// What one replica of a service used on average over the complete hours of the last `hours` before `now`
    /// (cpu_cores and memory_gib per replica-hour); nil when no replica usage was reported.
    public func recentUsagePerReplica(tenant: String, environment: String, service: String, now: Timestamp, hours: Int = 3) async throws -> [String: Double]? {
        let logger = self.logger
        let end = Forecast.latestCompleteHour(at: now) + .hours(1)
        let start = end - .hours(Int64(hours))
        return try await withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT resource, sum(quantity) FROM cost_hourly
                WHERE tenant_id = \(tenant) AND environment = \(environment) AND service = \(service)
                  AND hour >= \(start) AND hour < \(end) AND resource IN ('replicas', 'cpu_cores', 'memory_gib')
                GROUP BY resource
                """,
                logger: logger
            )
            var totals: [String: Double] = [:]
            for try await (resource, quantity) in rows.decode((String, Double).self) { totals[resource] = quantity }
            guard let replicaHours = totals["replicas"], replicaHours > 0 else { return nil }
            var perReplica: [String: Double] = [:]
            for resource in ["cpu_cores", "memory_gib"] {
                // Rounded up to the nano-unit: an estimate never below what was measured.
                if let used = totals[resource], used > 0 { perReplica[resource] = (used / replicaHours * 1e9).rounded(.up) / 1e9 }
            }
            return perReplica.isEmpty ? nil : perReplica
        }
    }
}
