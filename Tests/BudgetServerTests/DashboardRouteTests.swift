import BudgetCore
import BudgetServer
import BudgetStore
import BudgetTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// The dashboard served from the real store: sign-in, the cookie's reach, and the figures it shows.
@Suite("The dashboard pages over HTTP", .timeLimit(.minutes(2)))
struct DashboardRouteTests {
    struct StatusBody: Decodable {
        var spend_so_far: String
        var forecast: String
        var run_rate_per_hour: String
        var budget: String?
        var budget_name: String?
        var cap: String?
        var cap_name: String?
        var headroom: String?
    }

    /// A rate card, prod usage over the last hour, a cap, a budget, a policy and one vetoed scale-up.
    static func seed(_ client: some TestClientProtocol) async throws {
        let now = Timestamp.now()
        #expect(try await client.send(.put, "/v1/tenants/acme/rate-card", body: DecisionAPITests.card).status == .created)
        let start = max(now.startOfMonth, now - .hours(1))
        let samples = [
            usage("cpu_cores", "40", "\(start)", "\(now - .seconds(5))", service: "api"),
            usage("cpu_cores", "10", "\(start)", "\(now - .seconds(5))", service: "worker"),
        ]
        #expect(try await client.postJSON("/v1/tenants/acme/usage", #"{"samples":[\#(samples.joined(separator: ","))]}"#).status == .ok)
        #expect(try await client.send(.put, "/v1/tenants/acme/environments/prod/services/api/policy", body: DecisionAPITests.policy).status == .created)
        #expect(
            try await client.send(.put, "/v1/tenants/acme/environments/prod/cap", body: #"{"name":"prod-cap","hourly_run_rate":"1.00","period_spend":"900.00"}"#).status
                == .created
        )
        #expect(try await client.send(.put, "/v1/tenants/acme/budgets/prod-month", body: #"{"environment":"prod","amount":"700.00"}"#).status == .created)
        let denied = try await client.send(.post, "/v1/tenants/acme/decisions", body: DecisionAPITests.decision("veto-1", from: 2, to: 20))
        #expect(denied.status == .ok)
    }

    static func signIn(_ client: some TestClientProtocol, token: String) async throws -> TestResponse {
        try await client.execute(
            uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: "token=" + (token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? token))
        )
    }

    static func page(_ client: some TestClientProtocol, _ uri: String, cookie: String?) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let cookie { headers[.cookie] = cookie }
        return try await client.execute(uri: uri, method: .get, headers: headers, body: nil)
    }

    /// `name=value` of the session cookie a response sets.
    static func sessionCookie(_ response: TestResponse) -> String? {
        guard let header = response.headers[.setCookie] else { return nil }
        return header.split(separator: ";").first.map(String.init)
    }

    static func dataValue(_ html: String, id: String) -> String? {
        guard let range = html.range(of: #"id="\#(id)" data-value=""#) else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    @Test("without a session every page sends the browser to the sign-in form; a bad token is refused there")
    func signInRequired() async throws {
        try await TestApp.fresh().test { client, _ in
            for uri in ["/", "/tenants/acme", "/tenants/acme/environments/prod"] {
                let response = try await Self.page(client, uri, cookie: nil)
                #expect(response.status == .seeOther, "\(uri)")
                #expect(response.headers[.location] == "/login", "\(uri)")
            }
            let form = try await Self.page(client, "/login", cookie: nil)
            #expect(form.status == .ok)
            #expect(form.headers[.contentType] == "text/html; charset=utf-8")
            #expect(form.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("default-src 'none'") == true)
            #expect(form.text.contains(#"name="token""#))

            let wrong = try await Self.signIn(client, token: "cbt_nope_nope")
            #expect(wrong.status == .unauthorized)
            #expect(wrong.headers[.setCookie] == nil)
            #expect(wrong.text.contains("unknown, revoked or expired"))
            let empty = try await client.execute(
                uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "token=")
            )
            #expect(empty.status == .badRequest)
            #expect(empty.text.contains("Enter an API token"))
        }
    }

    @Test("signing in sets an HttpOnly SameSite=Strict cookie; signing out clears it; the API ignores it")
    func sessionCookie() async throws {
        try await TestApp.fresh().test { client, _ in
            let token = try await client.createToken(scopes: ["acme:read"])
            let signedIn = try await Self.signIn(client, token: token)
            #expect(signedIn.status == .seeOther)
            #expect(signedIn.headers[.location] == "/")
            let header = try #require(signedIn.headers[.setCookie])
            #expect(header.contains("HttpOnly"))
            #expect(header.contains("SameSite=Strict"))
            #expect(header.contains("Path=/"))
            #expect(!header.contains("Secure"), "plain HTTP keeps the cookie usable on 127.0.0.1")
            let cookie = try #require(Self.sessionCookie(signedIn))

            let home = try await Self.page(client, "/", cookie: cookie)
            #expect(home.status == .seeOther)
            #expect(home.headers[.location] == "/tenants/acme")
            let list = try await Self.page(client, "/tenants/acme", cookie: cookie)
            #expect(list.status == .ok)
            #expect(list.text.contains("Environments"))

            // The cookie is no bearer token: the JSON API still wants Authorization.
            let api = try await Self.page(client, "/v1/tenants/acme/costs", cookie: cookie)
            #expect(api.status == .unauthorized)

            let other = try await Self.page(client, "/tenants/globex", cookie: cookie)
            #expect(other.status == .forbidden)
            #expect(other.text.contains("cannot read tenant globex"))

            let out = try await client.execute(uri: "/logout", method: .post, headers: [.cookie: cookie], body: nil)
            #expect(out.status == .seeOther)
            #expect(out.headers[.location] == "/login")
            #expect(out.headers[.setCookie]?.contains("Max-Age=0") == true)

            // A revoked token's cookie stops working at once.
            let again = try #require(Self.sessionCookie(try await Self.signIn(client, token: token)))
            let id = token.split(separator: "_")[1]
            #expect(try await client.send(.delete, "/v1/tokens/\(id)").status == .ok)
            let revoked = try await Self.page(client, "/tenants/acme", cookie: again)
            #expect(revoked.status == .seeOther)
        }
    }

    @Test("the pages show the same figures as the status API: spend, forecast, budget, cap, headroom, the veto and its reason")
    func figures() async throws {
        try await TestApp.fresh().test { client, _ in
            try await Self.seed(client)
            let status = try await client.send(.get, "/v1/tenants/acme/environments/prod/status").decode(StatusBody.self)
            #expect(status.cap == "900.00")
            #expect(status.cap_name == "prod-cap")
            #expect(status.budget == "700.00")
            #expect(status.budget_name == "prod-month")
            let forecast = try #require(Money(decimalString: status.forecast))
            #expect(status.headroom.flatMap { Money(decimalString: $0) } == Money(decimalString: "900.00")! - forecast)
            #expect(try #require(Money(decimalString: status.spend_so_far)) > .zero)

            let cookie = try #require(Self.sessionCookie(try await Self.signIn(client, token: TestApp.adminToken)))
            let list = try await Self.page(client, "/tenants/acme", cookie: cookie)
            #expect(list.status == .ok)
            #expect(list.text.contains(#"data-environment="prod""#))
            #expect(list.text.contains(#"href="/tenants/acme/environments/prod""#))

            let page = try await Self.page(client, "/tenants/acme/environments/prod", cookie: cookie)
            #expect(page.status == .ok)
            #expect(page.headers[HTTPField.Name("Content-Security-Policy")!] == DashboardRenderer.contentSecurityPolicy)
            let html = page.text
            #expect(Self.dataValue(html, id: "spend-so-far").flatMap { Money(decimalString: $0) } == Money(decimalString: status.spend_so_far))
            // The forecast moves with the clock (less of the period is left a moment later): it may only have
            // dropped by the run rate over the minute between the two reads.
            let pageForecast = try #require(Self.dataValue(html, id: "forecast").flatMap { Money(decimalString: $0) })
            let runRate = try #require(Money(decimalString: status.run_rate_per_hour))
            #expect(pageForecast <= forecast)
            #expect(pageForecast >= forecast - Money(nanos: runRate.nanos / 60))
            #expect(Self.dataValue(html, id: "cap").flatMap { Money(decimalString: $0) } == Money(decimalString: "900.00"))
            #expect(Self.dataValue(html, id: "budget").flatMap { Money(decimalString: $0) } == Money(decimalString: "700.00"))
            #expect(Self.dataValue(html, id: "headroom").flatMap { Money(decimalString: $0) } == Money(decimalString: "900.00")! - pageForecast)
            #expect(html.contains(#"<svg id="spend-chart""#) || html.contains(#"id="spend-chart""#))
            // Both services appear in the breakdown, the bigger one first.
            let api = try #require(html.range(of: #"data-service="api""#))
            let worker = try #require(html.range(of: #"data-service="worker""#))
            #expect(api.lowerBound < worker.lowerBound)
            // The vetoed scale-up is highlighted with its reason.
            #expect(html.contains(#"data-outcome="deny""#) || html.contains(#"data-outcome="clamp""#))
            #expect(html.contains("exceeded cap prod-cap"))
            #expect(html.contains("<script") == false)
        }
    }

    @Test("an admin sees every tenant and can switch between them")
    func tenantSwitcher() async throws {
        try await TestApp.fresh().test { client, _ in
            #expect(try await client.send(.put, "/v1/tenants/acme/budgets/a", body: #"{"environment":"prod","amount":"10.00"}"#).status == .created)
            #expect(try await client.send(.put, "/v1/tenants/globex/budgets/g", body: #"{"environment":"dev","amount":"5.00"}"#).status == .created)
            let cookie = try #require(Self.sessionCookie(try await Self.signIn(client, token: TestApp.adminToken)))
            let list = try await Self.page(client, "/tenants/globex", cookie: cookie)
            #expect(list.status == .ok)
            #expect(list.text.contains(#"href="/tenants/acme""#))
            #expect(list.text.contains(#"data-environment="dev""#))
            #expect(!list.text.contains(#"data-environment="prod""#))
        }
    }
}
