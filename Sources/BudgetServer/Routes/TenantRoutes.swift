import BudgetCore
import BudgetStore
import Hummingbird

/// `GET /v1/tenants`: the tenants the token may see — every tenant with configuration or cost for an admin, the
/// tenants its scopes name otherwise.
struct TenantRoutes {
    let store: BudgetStore

    struct Listed: Encodable {
        struct Tenant: Encodable {
            var tenant: String
        }
        var tenants: [Tenant]
    }

    func register(on routes: RouteRegistry) {
        routes.add(.get, "/v1/tenants") { _, context in
            let principal = try context.caller()
            var names: Set<String> = []
            if principal.isAdmin {
                names.formUnion(try await store.tenantNames())
            } else {
                for case .tenant(let tenant, _) in principal.scopes { names.insert(tenant) }
            }
            return try JSONResponse(Listed(tenants: names.sorted().map(Listed.Tenant.init))).response
        }
    }
}
