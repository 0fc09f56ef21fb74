import BudgetCore
import BudgetStore
import Hummingbird

/// `PUT/GET …/settings`: the tenant's billing period, retention and ingest limit. A PUT changes the fields it
/// names and keeps the others; `"ingest_samples_per_second": null` returns the tenant to the service's limit.
struct SettingsRoutes {
    let store: BudgetStore
    let tenantIngest: TenantIngestLimiter

    struct Settings: Codable {
        var period: String?
        var periodStartDay: Int?
        var rawRetentionDays: Int?
        var hourlyRetentionMonths: Int?
        /// In answers: whether retention is the documented defaults.
        var retentionIsDefault: Bool?
        /// Samples per second the tenant may ingest (per replica); in answers 0 is no limit.
        var ingestSamplesPerSecond: Double?
        var ingestBurstSamples: Double?
        /// In answers: whether the ingest limit is the service's (`serve --tenant-ingest-rate`).
        var ingestLimitIsDefault: Bool?
        /// In requests: `"ingest_samples_per_second": null`, back to the service's limit.
        var resetIngestLimit = false

        enum CodingKeys: String, CodingKey {
            case period
            case periodStartDay = "period_start_day"
            case rawRetentionDays = "raw_retention_days"
            case hourlyRetentionMonths = "hourly_retention_months"
            case retentionIsDefault = "retention_is_default"
            case ingestSamplesPerSecond = "ingest_samples_per_second"
            case ingestBurstSamples = "ingest_burst_samples"
            case ingestLimitIsDefault = "ingest_limit_is_default"
        }

        init(_ period: BillingPeriod, _ retention: RetentionPolicy, ingest: TenantIngestLimiter.Limit, ingestIsDefault: Bool) {
            self.period = period.kind.rawValue
            self.periodStartDay = period.startDay
            self.rawRetentionDays = retention.rawDays
            self.hourlyRetentionMonths = retention.hourlyMonths
            self.retentionIsDefault = !retention.isExplicit
            self.ingestSamplesPerSecond = ingest.rate
            self.ingestBurstSamples = ingest.rate > 0 ? ingest.burst : nil
            self.ingestLimitIsDefault = ingestIsDefault
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            period = try container.decodeIfPresent(String.self, forKey: .period)
            periodStartDay = try container.decodeIfPresent(Int.self, forKey: .periodStartDay)
            rawRetentionDays = try container.decodeIfPresent(Int.self, forKey: .rawRetentionDays)
            hourlyRetentionMonths = try container.decodeIfPresent(Int.self, forKey: .hourlyRetentionMonths)
            ingestSamplesPerSecond = try container.decodeIfPresent(Double.self, forKey: .ingestSamplesPerSecond)
            ingestBurstSamples = try container.decodeIfPresent(Double.self, forKey: .ingestBurstSamples)
            resetIngestLimit = try container.contains(.ingestSamplesPerSecond) && container.decodeNil(forKey: .ingestSamplesPerSecond)
        }
    }

    func answer(tenant: String, _ period: BillingPeriod, _ retention: RetentionPolicy) -> Settings {
        Settings(period, retention, ingest: tenantIngest.limit(for: tenant), ingestIsDefault: !tenantIngest.hasOverride(tenant))
    }

    /// The tenant's new ingest limit: nil to keep it, `.some(nil)` back to the default.
    func ingestChange(_ body: Settings, tenant: String) throws -> IngestLimitOverride?? {
        if body.resetIngestLimit {
            guard body.ingestBurstSamples == nil else {
                throw APIError(
                    .unprocessableContent, code: "inconsistent_values", message: "ingest_burst_samples cannot be set while ingest_samples_per_second is null (back to the service's limit)",
                    field: "ingest_burst_samples"
                )
            }
            return .some(nil)
        }
        guard body.ingestSamplesPerSecond != nil || body.ingestBurstSamples != nil else { return nil }
        let current = tenantIngest.limit(for: tenant)
        guard let rate = body.ingestSamplesPerSecond ?? (current.rate > 0 ? current.rate : nil) else {
            throw APIError(
                .badRequest, code: "missing_field", message: "ingest_samples_per_second is required with ingest_burst_samples: this service has no default ingest limit",
                field: "ingest_samples_per_second"
            )
        }
        // A new rate without a burst keeps the service's proportion (two seconds' worth by default).
        let burst = body.ingestBurstSamples ?? (body.ingestSamplesPerSecond == nil ? current.burst : max(1, rate * Self.burstSeconds))
        let limit = IngestLimitOverride(rate: rate, burst: burst)
        if let problem = limit.problem { throw APIError(.badRequest, code: "invalid_value", message: problem.message, field: problem.field) }
        return .some(limit)
    }

    /// Brings this replica's view of the tenant's own ingest limit up to the stored one.
    func refreshIngestLimit(tenant: String) async throws {
        tenantIngest.setOverride(try await store.ingestLimitOverride(tenant: tenant), for: tenant)
    }

    /// A tenant limit set without a burst may send this many seconds of it at once.
    static let burstSeconds = 2.0

    func register(on routes: RouteRegistry) {
        routes.add(.get, "/v1/tenants/{tenant}/settings") { _, context in
            let tenant = try context.tenant()
            _ = try context.require(.read, on: tenant)
            // This replica's view of the ingest limit may be up to one reload old: answer with the stored one.
            try await refreshIngestLimit(tenant: tenant)
            return try JSONResponse(answer(tenant: tenant, try await store.billingPeriod(tenant: tenant), try await store.retention(tenant: tenant))).response
        }
        routes.add(.put, "/v1/tenants/{tenant}/settings") { request, context in
            let tenant = try context.tenant()
            let actor = try context.require(.manage, on: tenant)
            let body = try await JSONBody.decode(Settings.self, from: request)
            let currentPeriod = try await store.billingPeriod(tenant: tenant)
            let currentRetention = try await store.retention(tenant: tenant)

            var period = currentPeriod
            if let text = body.period {
                guard let kind = PeriodKind(rawValue: text) else {
                    throw APIError(.badRequest, code: "invalid_value", message: "period must be month or day", field: "period")
                }
                period.kind = kind
            }
            if let day = body.periodStartDay { period.startDay = day }
            guard period.isValid else {
                throw APIError(.badRequest, code: "invalid_value", message: "period_start_day must be between 1 and 28", field: "period_start_day")
            }
            var retention = currentRetention
            if body.rawRetentionDays != nil || body.hourlyRetentionMonths != nil {
                retention = RetentionPolicy(
                    rawDays: body.rawRetentionDays ?? currentRetention.rawDays,
                    hourlyMonths: body.hourlyRetentionMonths ?? currentRetention.hourlyMonths
                )
                if let problem = retention.problem { throw APIError(.badRequest, problem) }
            }
            // A burst alone keeps the tenant's rate: the stored one, not this replica's view (up to one reload old).
            try await refreshIngestLimit(tenant: tenant)
            let ingest = try ingestChange(body, tenant: tenant)
            // Validated in full before anything is written.
            if period != currentPeriod { period = try await store.setBillingPeriod(tenant: tenant, period: period, actor: actor) }
            if retention != currentRetention {
                retention = try await store.setRetention(tenant: tenant, retention: retention, actor: actor)
                ConfigChangeLog.log(
                    context.logger, tenant: tenant, kind: "retention", key: tenant, action: "update", version: nil,
                    changedFields: ["raw_retention_days", "hourly_retention_months"], actor: actor.id
                )
            }
            if let ingest {
                let stored = try await store.setIngestLimitOverride(tenant: tenant, ingest, actor: actor)
                tenantIngest.setOverride(stored, for: tenant)
                ConfigChangeLog.log(
                    context.logger, tenant: tenant, kind: "ingest_limit", key: tenant, action: stored == nil ? "reset" : "update", version: nil,
                    changedFields: ["ingest_samples_per_second", "ingest_burst_samples"], actor: actor.id
                )
            }
            return try JSONResponse(answer(tenant: tenant, period, retention)).response
        }
    }
}
