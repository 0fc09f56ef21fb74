import BudgetCore
import BudgetStore
import Hummingbird

/// `PUT/GET …/settings`: the tenant's billing period.
struct SettingsRoutes {
    let store: BudgetStore

    struct Settings: Codable {
        var period: String?
        var periodStartDay: Int?

        enum CodingKeys: String, CodingKey {
            case period
            case periodStartDay = "period_start_day"
        }

        init(_ period: BillingPeriod) {
            self.period = period.kind.rawValue
            self.periodStartDay = period.startDay
        }
    }

    func register(on routes: RouteRegistry) {
        routes.add(.get, "/v1/tenants/{tenant}/settings") { _, context in
            let tenant = try context.tenant()
            _ = try context.require(.read, on: tenant)
            return try JSONResponse(Settings(try await store.billingPeriod(tenant: tenant))).response
        }
        routes.add(.put, "/v1/tenants/{tenant}/settings") { request, context in
            let tenant = try context.tenant()
            let actor = try context.require(.manage, on: tenant)
            let body = try await JSONBody.decode(Settings.self, from: request)
            guard let kind = PeriodKind(rawValue: body.period ?? "month") else {
                throw APIError(.badRequest, code: "invalid_value", message: "period must be month or day", field: "period")
            }
            let period = BillingPeriod(kind: kind, startDay: body.periodStartDay ?? 1)
            guard period.isValid else {
                throw APIError(.badRequest, code: "invalid_value", message: "period_start_day must be between 1 and 28", field: "period_start_day")
            }
            return try JSONResponse(Settings(try await store.setBillingPeriod(tenant: tenant, period: period, actor: actor))).response
        }
    }
}
