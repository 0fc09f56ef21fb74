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

extension BudgetStore {
    /// The tenant's retention: what it set, or the defaults.
    public func retention(tenant: String) async throws -> RetentionPolicy {
        let logger = self.logger
        return try await withConnection { connection in
            try await Self.loadRetention(tenant: tenant, on: connection, logger: logger)
        }
    }

    static func loadRetention(tenant: String, on connection: PostgresConnection, logger: Logger) async throws -> RetentionPolicy {
        let rows = try await connection.query(
            "SELECT raw_retention_days, hourly_retention_months FROM tenant_settings WHERE tenant_id = \(tenant)", logger: logger
        )
        for try await (raw, hourly) in rows.decode((Int?, Int?).self) where raw != nil || hourly != nil {
            return RetentionPolicy(rawDays: raw ?? RetentionPolicy.defaultRawDays, hourlyMonths: hourly ?? RetentionPolicy.defaultHourlyMonths)
        }
        return .defaults
    }

    /// Sets (or, with nil, returns to the defaults) the tenant's retention; audited.
    public func setRetention(tenant: String, retention: RetentionPolicy?, actor: Principal) async throws -> RetentionPolicy {
        let logger = self.logger
        return try await transaction("set-retention") { connection in
            let before = try await Self.loadRetention(tenant: tenant, on: connection, logger: logger)
            let raw = retention?.rawDays
            let hourly = retention?.hourlyMonths
            try await connection.perform(
                """
                INSERT INTO tenant_settings (tenant_id, raw_retention_days, hourly_retention_months) VALUES (\(tenant), \(raw), \(hourly))
                ON CONFLICT (tenant_id) DO UPDATE SET raw_retention_days = excluded.raw_retention_days,
                    hourly_retention_months = excluded.hourly_retention_months, updated_at = now()
                """,
                logger: logger
            )
            let after = try await Self.loadRetention(tenant: tenant, on: connection, logger: logger)
            if before != after {
                try await Self.appendAudit(
                    AuditRecord(
                        tenant: tenant, actor: actor, action: "retention.update", targetKind: "settings", target: tenant,
                        before: try Self.json(before), after: try Self.json(after)
                    ),
                    on: connection, logger: logger
                )
            }
            return after
        }
    }

    /// When a maintenance job last finished (deployment-wide jobs are kept under `_system`).
    public func maintenanceLastRun(job: String, tenant: String = "_system") async throws -> Timestamp? {
        let logger = self.logger
        return try await withConnection { connection in
            let rows = try await connection.query(
                "SELECT finished_at FROM maintenance_runs WHERE tenant_id = \(tenant) AND job = \(job)", logger: logger
            )
            for try await finished in rows.decode(Timestamp.self) { return finished }
            return nil
        }
    }

    static func recordMaintenanceRun(job: String, tenant: String = "_system", summary: String, now: Timestamp, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.perform(
            """
            INSERT INTO maintenance_runs (tenant_id, job, finished_at, summary) VALUES (\(tenant), \(job), \(now), \(summary))
            ON CONFLICT (tenant_id, job) DO UPDATE SET finished_at = excluded.finished_at, summary = excluded.summary
            """,
            logger: logger
        )
    }
}
