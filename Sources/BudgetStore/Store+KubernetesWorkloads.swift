import BudgetCore
import Foundation
import Logging
import PostgresNIO
import Synchronization

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
    /// Remembers what one replica of an admitted workload requests (a later `scale` is priced with it), in a
    /// transaction of its own. The webhook remembers through `decide(…, remembering:)` instead, in the decision's
    /// own statement.
    public func rememberWorkload(tenant: String, _ workload: KubernetesWorkload) async throws {
        let logger = self.logger
        try await transaction("remember-workload") { connection in
            try await Self.rememberWorkload(tenant: tenant, workload, on: connection, logger: logger)
        }
    }

    static func rememberWorkload(tenant: String, _ workload: KubernetesWorkload, on connection: PostgresConnection, logger: Logger) async throws {
        let perReplica = try ConfigJSON.encode(workload.perReplica)
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

/// A tenant's configuration generation (migration 018) and the server start it was read under: what a copy of
/// its configuration was read at (see `DecisionConfigs`).
public struct ConfigurationVersion: Sendable, Hashable {
    public var generation: Int64
    public var serverStart: Timestamp

    public init(generation: Int64, serverStart: Timestamp) {
        self.generation = generation
        self.serverStart = serverStart
    }
}

/// The tenant's configuration generation is no longer the one the caller expected (`decide(…, expecting:)`):
/// something it derived the request from may have changed. Nothing was recorded.
public struct ConfigurationChanged: Error, Sendable {
    public init() {}
}

/// A tenant's Kubernetes bindings, in name order, with the configuration version they were read at.
public struct KubernetesBindings: Sendable {
    public var bindings: [KubernetesBinding]
    /// Nil when the tenant has no generation yet (such a copy is never kept).
    public var version: ConfigurationVersion?
    /// Read from the database by this call (not a kept copy).
    public var fresh: Bool
}

/// Each tenant's bindings as the webhook last read them, by configuration generation (migration 025 makes every
/// write to `kubernetes_bindings` renew it). A kept copy is only used optimistically: the admission's decision
/// passes its version to `decide(…, expecting:)`, whose snapshot statement reads the generation anyway, and a
/// review whose copy turns out stale is translated again from bindings read anew. Emptied at `capacity` tenants.
final class KubernetesBindingCache: Sendable {
    private let entries = Mutex<[String: KubernetesBindings]>([:])
    private let capacity: Int

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    func bindings(tenant: String) -> KubernetesBindings? {
        entries.withLock { $0[tenant] }
    }

    func store(_ bindings: KubernetesBindings, tenant: String) {
        entries.withLock { entries in
            guard let version = bindings.version, version.generation != 0 else {
                entries[tenant] = nil
                return
            }
            // A slower reader must not replace a newer copy with an older one.
            if let kept = entries[tenant]?.version, kept.serverStart == version.serverStart, kept.generation > version.generation { return }
            if entries.count >= capacity, entries[tenant] == nil { entries.removeAll(keepingCapacity: true) }
            var kept = bindings
            kept.fresh = false
            entries[tenant] = kept
        }
    }
}

extension BudgetStore {
    /// The tenant's Kubernetes bindings in name order: the copy kept from the last read unless `fresh` (or there is
    /// none), else read now — the bindings and the generation in one statement, so the version is exactly the
    /// one they were read at.
    public func kubernetesBindings(tenant: String, fresh: Bool = false) async throws -> KubernetesBindings {
        if !fresh, let kept = kubernetesBindingCache.bindings(tenant: tenant) { return kept }
        let logger = self.logger
        let read = try await withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT coalesce((SELECT generation FROM config_generations WHERE tenant_id = \(tenant)), 0), pg_postmaster_start_time(),
                       (SELECT coalesce(json_agg(spec ORDER BY name), '[]'::json)::text FROM kubernetes_bindings WHERE tenant_id = \(tenant))
                """,
                logger: logger
            )
            for try await (generation, serverStart, specs) in rows.decode((Int64, Timestamp, String).self) {
                let bindings = try ConfigJSON.decode([KubernetesBinding].self, from: specs).sorted { $0.name < $1.name }
                let version = generation == 0 ? nil : ConfigurationVersion(generation: generation, serverStart: serverStart)
                return KubernetesBindings(bindings: bindings, version: version, fresh: true)
            }
            throw StoreError(.internalError, code: "internal_error", message: "the bindings query returned no row")
        }
        kubernetesBindingCache.store(read, tenant: tenant)
        return read
    }
}
