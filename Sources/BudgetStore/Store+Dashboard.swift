import BudgetCore
import Foundation
import Logging
import PostgresNIO

/// A recorded decision as the dashboard lists it.
public struct DecisionSummary: Sendable {
    public var id: UUID
    public var service: String
    public var currentReplicas: Int
    public var desiredReplicas: Int
    public var result: DecisionResult
}

extension BudgetStore {
    /// Tenants that have anything configured or recorded, for an admin's tenant list.
    public func tenantNames() async throws -> [String] {
        let logger = self.logger
        return try await withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT tenant_id FROM tenant_settings
                UNION SELECT DISTINCT tenant_id FROM caps
                UNION SELECT DISTINCT tenant_id FROM budgets
                UNION SELECT DISTINCT tenant_id FROM scaling_policies
                UNION SELECT DISTINCT tenant_id FROM cost_environment_daily
                ORDER BY 1
                """,
                logger: logger
            )
            var names: [String] = []
            for try await name in rows.decode(String.self) where name != "_system" { names.append(name) }
            return names
        }
    }

    /// The tenant's environments: those with recorded cost, a cap, a budget or a scaling policy.
    public func environmentNames(tenant: String) async throws -> [String] {
        let logger = self.logger
        return try await withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT DISTINCT environment FROM cost_environment_daily WHERE tenant_id = \(tenant)
                UNION SELECT environment FROM caps WHERE tenant_id = \(tenant)
                UNION SELECT environment FROM budgets WHERE tenant_id = \(tenant)
                UNION SELECT environment FROM scaling_policies WHERE tenant_id = \(tenant)
                ORDER BY 1
                """,
                logger: logger
            )
            var names: [String] = []
            for try await name in rows.decode(String.self) { names.append(name) }
            return names
        }
    }

    /// The environment's latest decisions, newest first.
    public func recentDecisions(tenant: String, environment: String, limit: Int = 20) async throws -> [DecisionSummary] {
        let logger = self.logger
        return try await withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT decision_id, service, current_replicas, desired_replicas, result_json FROM decisions
                WHERE tenant_id = \(tenant) AND environment = \(environment)
                ORDER BY evaluated_at DESC, decision_id LIMIT \(limit)
                """,
                logger: logger
            )
            var decisions: [DecisionSummary] = []
            for try await (id, service, current, desired, json) in rows.decode((UUID, String, Int, Int, String).self) {
                let result = try ConfigJSON.decode(DecisionResult.self, from: json)
                decisions.append(DecisionSummary(id: id, service: service, currentReplicas: current, desiredReplicas: desired, result: result))
            }
            return decisions
        }
    }
}

extension BudgetStore {
    /// Services that asked for decisions since `since` without a scaling policy (`environment/service`).
    public func servicesWithoutPolicy(tenant: String, since: Timestamp) async throws -> [String] {
        let logger = self.logger
        return try await withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT DISTINCT d.environment || '/' || d.service FROM decisions d
                WHERE d.tenant_id = \(tenant) AND d.evaluated_at >= \(since)
                  AND NOT EXISTS (
                      SELECT 1 FROM scaling_policies p
                      WHERE p.tenant_id = d.tenant_id AND p.environment = d.environment AND p.service = d.service
                  )
                ORDER BY 1
                """,
                logger: logger
            )
            var services: [String] = []
            for try await service in rows.decode(String.self) { services.append(service) }
            return services
        }
    }
}
