import BudgetCore
import BudgetStore
import Hummingbird

/// `PUT/GET …/settings`: the tenant's billing period and retention. A PUT changes the fields it names and
/// keeps the others.
struct SettingsRoutes {
    let store: BudgetStore

    struct Settings: Codable {
        var period: String?
        var periodStartDay: Int?
        var rawRetentionDays: Int?
        var hourlyRetentionMonths: Int?
        /// In answers: whether retention is the documented defaults.
        var retentionIsDefault: Bool?

        enum CodingKeys: String, CodingKey {
            case period
            case periodStartDay = "period_start_day"
            case rawRetentionDays = "raw_retention_days"
            case hourlyRetentionMonths = "hourly_retention_months"
            case retentionIsDefault = "retention_is_default"
        }

        init(_ period: BillingPeriod, _ retention: RetentionPolicy) {
            self.period = period.kind.rawValue
            self.periodStartDay = period.startDay
            self.rawRetentionDays = retention.rawDays
            self.hourlyRetentionMonths = retention.hourlyMonths
            self.retentionIsDefault = !retention.isExplicit
        }
    }

    func register(on routes: RouteRegistry) {
        routes.add(.get, "/v1/tenants/{tenant}/settings") { _, context in
            let tenant = try context.tenant()
            _ = try context.require(.read, on: tenant)
            return try JSONResponse(Settings(try await store.billingPeriod(tenant: tenant), try await store.retention(tenant: tenant))).response
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
            // Validated in full before anything is written.
            if period != currentPeriod { period = try await store.setBillingPeriod(tenant: tenant, period: period, actor: actor) }
            if retention != currentRetention {
                retention = try await store.setRetention(tenant: tenant, retention: retention, actor: actor)
                ConfigChangeLog.log(
                    context.logger, tenant: tenant, kind: "retention", key: tenant, action: "update", version: nil,
                    changedFields: ["raw_retention_days", "hourly_retention_months"], actor: actor.id
                )
            }
            return try JSONResponse(Settings(period, retention)).response
        }
    }
}
