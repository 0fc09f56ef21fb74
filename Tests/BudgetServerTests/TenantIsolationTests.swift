import BudgetServer
import BudgetStore
import BudgetTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
import Testing
import HTTPTypes

@Suite("Tenant isolation across the whole route table", .timeLimit(.minutes(3)))
struct TenantIsolationTests {
    /// A digest of every row of every table that belongs to `tenant`.
    static func fingerprint(of tenant: String, store: BudgetStore) async throws -> [String: String] {
        let tables = try await store.client.query(
            """
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
            """
        )
        var names: [String] = []
        for try await name in tables.decode(String.self) { names.append(name) }
        var digests: [String: String] = [:]
        for name in names.sorted() {
            let rows = try await store.client.query(
                .init(unsafeSQL: "SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM \"\(name)\" t WHERE tenant_id = $1", binds: {
                    var binds = PostgresBindings()
                    binds.append(tenant)
                    return binds
                }())
            )
            for try await digest in rows.decode(String.self) { digests[name] = digest }
        }
        return digests
    }

    @Test("a token with every scope on tenant a is refused on every route of tenant b, and b is unchanged")
    func everyRouteRefusesOtherTenant() async throws {
        let app = try await TestApp.fresh()
        let routes = app.routes
        try await app.test { client, store in
            // Give tenant b data of every kind the API holds.
            try await TenantFixtures.seed(tenant: "b", client: client)
            let ingest = try await client.postJSON("/v1/tenants/b/usage", #"{"samples":[\#(sampleJSON())]}"#)
            #expect(ingest.status == .ok)

            let tokenA = try await client.createToken(name: "tenant-a", scopes: ["a:read", "a:ingest", "a:decide", "a:manage"])
            let before = try await Self.fingerprint(of: "b", store: store)
            #expect(before["usage_samples"]?.hasPrefix("1:") == true)

            // The dashboard is reached with a session cookie rather than the bearer token.
            let signIn = try await client.execute(
                uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "token=\(tokenA)")
            )
            let cookie = try #require(signIn.headers[.setCookie]?.split(separator: ";").first.map(String.init))

            var checked = 0
            for route in routes {
                let method = HTTPRequest.Method(route.method)!
                let isTenantRoute = route.path.contains("{tenant}")
                let isAdminRoute = route.path.hasPrefix("/v1/") && !isTenantRoute
                guard isTenantRoute || isAdminRoute else { continue }
                let path = TenantFixtures.concretePath(route.path, tenant: "b")
                if !route.path.hasPrefix("/v1/") {
                    let page = try await client.execute(uri: path, method: method, headers: [.cookie: cookie], body: nil)
                    #expect(page.status == .forbidden, "\(route) answered \(page.status) to tenant a's session")
                    checked += 1
                    continue
                }
                if route.path == "/v1/tenants" {
                    // Not refused: it lists the tenants the token names, and so never b.
                    let listed = try await client.send(.get, path, token: tokenA)
                    #expect(listed.status == .ok)
                    #expect(listed.text == #"{"tenants":[{"tenant":"a"}]}"#, "\(listed.text)")
                    checked += 1
                    continue
                }
                let body = TenantFixtures.body(for: route)
                let response = try await client.send(method, path, body: body, token: tokenA)
                #expect(response.status == .forbidden, "\(route) answered \(response.status): \(response.text.prefix(200))")
                checked += 1
            }
            #expect(checked >= 4)
            let after = try await Self.fingerprint(of: "b", store: store)
            #expect(after == before)
        }
    }
}

/// Concrete paths and bodies for walking the route table.
enum TenantFixtures {
    static func concretePath(_ path: String, tenant: String) -> String {
        path.replacingOccurrences(of: "{tenant}", with: tenant)
            .replacingOccurrences(of: "{environment}", with: "prod")
            .replacingOccurrences(of: "{env}", with: "prod")
            .replacingOccurrences(of: "{service}", with: "api")
            .replacingOccurrences(of: "{name}", with: "main")
            .replacingOccurrences(of: "{id}", with: "0123456789abcdef")
    }

    /// A plausible body for writes, so a refusal is about the token, not the body.
    static func body(for route: RouteDescription) -> String? {
        switch route.method {
        case "GET", "DELETE": return nil
        default:
            if route.path.hasSuffix("/usage") { return #"{"samples":[\#(sampleJSON(minute: 9))]}"# }
            if route.path == "/v1/apply" {
                return #"{"documents":[{"kind":"Budget","metadata":{"tenant":"b","environment":"prod","name":"x"},"spec":{"amount":"1.00"}}]}"#
            }
            return "{}"
        }
    }

    /// Creates the tenant's other objects through the API: rate card, cap, budget, policy, alert route, a decision.
    static func seed(tenant: String, client: some TestClientProtocol) async throws {
        let writes: [(HTTPRequest.Method, String, String)] = [
            (.put, "/v1/tenants/\(tenant)/rate-card", #"{"currency":"USD","effective_from":"2020-01-01T00:00:00Z","prices":{"cpu_cores":"0.05"}}"#),
            (.put, "/v1/tenants/\(tenant)/environments/prod/cap", #"{"period_spend":"100.00"}"#),
            (.put, "/v1/tenants/\(tenant)/environments/prod/services/api/cap", #"{"hourly_run_rate":"5.00"}"#),
            (.put, "/v1/tenants/\(tenant)/budgets/main", #"{"environment":"prod","amount":"50.00"}"#),
            (.put, "/v1/tenants/\(tenant)/environments/prod/services/api/policy", #"{"min_replicas":1,"max_replicas":10}"#),
            (.put, "/v1/tenants/\(tenant)/alert-routes/main", #"{"url":"https://example.com/hook"}"#),
            (.put, "/v1/tenants/\(tenant)/settings", #"{"period":"month","period_start_day":1}"#),
            (.post, "/v1/tenants/\(tenant)/decisions", #"{"request_id":"seed","environment":"prod","service":"api","current_replicas":1,"desired_replicas":2,"per_replica":{"cpu_cores":1},"signals":[{"name":"cpu_utilization","value":0.9}]}"#),
        ]
        for (method, path, body) in writes {
            let response = try await client.send(method, path, body: body)
            guard response.status.code < 300 else { throw TestFailure("seeding \(path): \(response.status) \(response.text)") }
        }
    }
}
