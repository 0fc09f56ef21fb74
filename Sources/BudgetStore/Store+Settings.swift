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
                ON CONFLICT (tenant_id) DO UPDATE SET period_kind = excluded.period_kind, period_start_day = excluded.period_start_day, updated_at = excluded.updated_at
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
                    hourly_retention_months = excluded.hourly_retention_months, updated_at = excluded.updated_at
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

/// A tenant's own ingest limit in samples per second, overriding the service's default for that tenant.
public struct IngestLimitOverride: Sendable, Equatable, Codable {
    public var rate: Double
    public var burst: Double

    public init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = burst
    }

    public static let maximumRate = 1e9
    public static let maximumBurst = 1e12

    /// What is wrong with it, naming the API field, or nil.
    public var problem: (field: String, message: String)? {
        guard rate.isFinite, rate > 0, rate <= Self.maximumRate else {
            return ("ingest_samples_per_second", "ingest_samples_per_second must be a number above 0 and at most 1000000000")
        }
        guard burst.isFinite, burst >= 1, burst <= Self.maximumBurst else {
            return ("ingest_burst_samples", "ingest_burst_samples must be a number from 1 to 1000000000000")
        }
        return nil
    }
}

extension BudgetStore {
    /// The tenant's own ingest limit, or nil when the service's default applies.
    public func ingestLimitOverride(tenant: String) async throws -> IngestLimitOverride? {
        let logger = self.logger
        return try await withConnection { connection in
            try await Self.loadIngestLimitOverride(tenant: tenant, on: connection, logger: logger)
        }
    }

    static func loadIngestLimitOverride(tenant: String, on connection: PostgresConnection, logger: Logger) async throws -> IngestLimitOverride? {
        let rows = try await connection.query(
            "SELECT ingest_rate, ingest_burst FROM tenant_settings WHERE tenant_id = \(tenant) AND ingest_rate IS NOT NULL", logger: logger
        )
        for try await (rate, burst) in rows.decode((Double, Double).self) {
            return IngestLimitOverride(rate: rate, burst: burst)
        }
        return nil
    }

    /// Every tenant's own ingest limit (the tenants without one use the service's default).
    public func ingestLimitOverrides() async throws -> [String: IngestLimitOverride] {
        let logger = self.logger
        return try await withConnection { connection in
            let rows = try await connection.query(
                "SELECT tenant_id, ingest_rate, ingest_burst FROM tenant_settings WHERE ingest_rate IS NOT NULL", logger: logger
            )
            var overrides: [String: IngestLimitOverride] = [:]
            for try await (tenant, rate, burst) in rows.decode((String, Double, Double).self) {
                overrides[tenant] = IngestLimitOverride(rate: rate, burst: burst)
            }
            return overrides
        }
    }

    /// Sets the tenant's own ingest limit, or with nil returns it to the service's default; audited.
    public func setIngestLimitOverride(tenant: String, _ limit: IngestLimitOverride?, actor: Principal) async throws -> IngestLimitOverride? {
        if let problem = limit?.problem {
            throw StoreError(.unprocessable, code: "invalid_value", message: problem.message, field: problem.field)
        }
        let logger = self.logger
        return try await transaction("set-ingest-limit") { connection in
            let before = try await Self.loadIngestLimitOverride(tenant: tenant, on: connection, logger: logger)
            try await connection.perform(
                """
                INSERT INTO tenant_settings (tenant_id, ingest_rate, ingest_burst) VALUES (\(tenant), \(limit?.rate), \(limit?.burst))
                ON CONFLICT (tenant_id) DO UPDATE SET ingest_rate = excluded.ingest_rate, ingest_burst = excluded.ingest_burst, updated_at = excluded.updated_at
                """,
                logger: logger
            )
            if before != limit {
                try await Self.appendAudit(
                    AuditRecord(
                        tenant: tenant, actor: actor, action: "ingest_limit.update", targetKind: "settings", target: tenant,
                        before: try before.map { try Self.json($0) }, after: try limit.map { try Self.json($0) }
                    ),
                    on: connection, logger: logger
                )
            }
            return limit
        }
    }
}
