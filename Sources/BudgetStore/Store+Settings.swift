import BudgetCore
import Logging
import PostgresNIO

extension BudgetStore {
    /// The tenant's billing period (calendar month in UTC unless set otherwise).
    public func billingPeriod(tenant: String) async throws -> BillingPeriod {
        let logger = self.logger
        return try await withConnection { connection in
            try await Self.loadBillingPeriod(tenant: tenant, on: connection, logger: logger)
        }
    }

    static func loadBillingPeriod(tenant: String, on connection: PostgresConnection, logger: Logger) async throws -> BillingPeriod {
        let rows = try await connection.query(
            "SELECT period_kind, period_start_day FROM tenant_settings WHERE tenant_id = \(tenant)", logger: logger
        )
        for try await (kind, startDay) in rows.decode((String, Int).self) {
            return BillingPeriod(kind: PeriodKind(rawValue: kind) ?? .month, startDay: startDay)
        }
        return .calendarMonth
    }

    /// Sets the tenant's billing period; audited.
    public func setBillingPeriod(tenant: String, period: BillingPeriod, actor: Principal) async throws -> BillingPeriod {
        let logger = self.logger
        return try await transaction("set-billing-period") { connection in
            let before = try await Self.loadBillingPeriod(tenant: tenant, on: connection, logger: logger)
            try await connection.perform(
                """
                INSERT INTO tenant_settings (tenant_id, period_kind, period_start_day) VALUES (\(tenant), \(period.kind.rawValue), \(period.startDay))
                ON CONFLICT (tenant_id) DO UPDATE SET period_kind = excluded.period_kind, period_start_day = excluded.period_start_day, updated_at = now()
                """,
                logger: logger
            )
            if before != period {
                try await Self.appendAudit(
                    AuditRecord(
                        tenant: tenant, actor: actor, action: "settings.update", targetKind: "settings", target: tenant,
                        before: try Self.json(before), after: try Self.json(period)
                    ),
                    on: connection, logger: logger
                )
            }
            return period
        }
    }
}
