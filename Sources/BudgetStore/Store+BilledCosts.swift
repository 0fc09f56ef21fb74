import BudgetCore
import Logging
import PostgresNIO

/// A billed cost with the key that makes re-imports idempotent.
public struct KeyedBilledCost: Sendable, Hashable {
    public var key: String
    public var cost: BilledCost

    public init(key: String, cost: BilledCost) {
        self.key = key
        self.cost = cost
    }
}

extension BudgetStore {
    /// Stores billed-cost lines; lines already imported (same key) are duplicates, not more cost.
    public func importBilledCosts(tenant: String, records: [KeyedBilledCost]) async throws -> IngestResult {
        guard !records.isEmpty else { return IngestResult(accepted: 0, duplicates: 0) }
        var seen: Set<String> = []
        let unique = records.filter { seen.insert($0.key).inserted }.sorted { $0.key < $1.key }
        let logger = self.logger
        let inserted = try await transaction("import-billed-costs") { connection in
            let rows = try await connection.query(
                """
                WITH inserted AS (
                    INSERT INTO billed_costs (tenant_id, row_key, charge_period_start, charge_period_end, environment, service,
                                              provider, provider_service, charge_category, currency, billed_nanos, effective_nanos)
                    SELECT \(tenant), k, s, e, env, svc, p, ps, cc, cur, b, ef
                    FROM unnest(
                        \(unique.map(\.key))::text[], \(unique.map(\.cost.chargePeriodStart))::timestamptz[],
                        \(unique.map(\.cost.chargePeriodEnd))::timestamptz[], \(unique.map(\.cost.environment))::text[],
                        \(unique.map(\.cost.service))::text[], \(unique.map { $0.cost.provider ?? "" })::text[],
                        \(unique.map { $0.cost.providerService ?? "" })::text[], \(unique.map { $0.cost.chargeCategory ?? "" })::text[],
                        \(unique.map(\.cost.currency.code))::text[], \(unique.map(\.cost.billedCost.nanos))::int8[],
                        \(unique.map(\.cost.effectiveCost.nanos))::int8[]
                    ) AS t(k, s, e, env, svc, p, ps, cc, cur, b, ef)
                    ON CONFLICT (tenant_id, row_key) DO NOTHING
                    RETURNING 1
                )
                SELECT count(*) FROM inserted
                """,
                logger: logger
            )
            for try await count in rows.decode(Int.self) { return count }
            return 0
        }
        return IngestResult(accepted: inserted, duplicates: records.count - inserted)
    }
}
