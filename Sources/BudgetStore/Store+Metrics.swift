import BudgetCore
import Logging
import PostgresNIO

extension BudgetStore {
    /// Cost of every (tenant, environment, service) in one hour, for the `cost_estimate` gauge.
    public func costPerService(hour: Timestamp) async throws -> [(tenant: String, environment: String, service: String, cost: Money)] {
        let logger = self.logger
        return try await withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT tenant_id, environment, service, sum(cost_nanos)::int8 FROM cost_hourly
                WHERE hour = \(hour) GROUP BY tenant_id, environment, service ORDER BY 1, 2, 3
                """,
                logger: logger
            )
            var result: [(String, String, String, Money)] = []
            for try await (tenant, environment, service, nanos) in rows.decode((String, String, String, Int64).self) {
                result.append((tenant, environment, service, Money(nanos: nanos)))
            }
            return result.map { (tenant: $0.0, environment: $0.1, service: $0.2, cost: $0.3) }
        }
    }

    /// Spend so far ÷ amount for every budget, for the `budget_spend_ratio` gauge.
    public func budgetSpendRatios(now: Timestamp) async throws -> [(tenant: String, budget: String, ratio: Double)] {
        let logger = self.logger
        return try await withConnection { connection in
            let rows = try await connection.query("SELECT tenant_id, spec::text FROM budgets ORDER BY tenant_id, name", logger: logger)
            var budgets: [(String, Budget)] = []
            for try await (tenant, spec) in rows.decode((String, String).self) { budgets.append((tenant, try ConfigJSON.decode(Budget.self, from: spec))) }
            var ratios: [(tenant: String, budget: String, ratio: Double)] = []
            for (tenant, budget) in budgets {
                let period = try await Self.loadBillingPeriod(tenant: tenant, on: connection, logger: logger)
                let bounds = BillingPeriod(kind: budget.period, startDay: period.startDay).bounds(containing: now)
                let runRateHour = Forecast.latestCompleteHour(at: now)
                let figures: DecisionSnapshot.Figures
                if let service = budget.service {
                    figures = try await Self.serviceFigures(
                        tenant: tenant, environment: budget.environment, service: service, periodStart: bounds.start, now: now,
                        runRateHour: runRateHour, on: connection, logger: logger
                    )
                } else {
                    figures = try await Self.environmentFigures(
                        tenant: tenant, environment: budget.environment, periodStart: bounds.start, now: now, runRateHour: runRateHour,
                        on: connection, logger: logger
                    )
                }
                ratios.append((tenant, budget.name, Double(figures.spendSoFar.nanos) / Double(max(1, budget.amount.nanos))))
            }
            return ratios
        }
    }
}
