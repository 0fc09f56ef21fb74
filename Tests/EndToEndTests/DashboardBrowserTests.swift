import BudgetCore
import BudgetStore
import BudgetTestSupport
import Foundation
import Testing

/// The dashboard as a person sees it: the built service on a seeded database, rendered by headless Chromium.
/// Screenshots land in `TestArtifacts/` at the package root.
@Suite("The dashboard in a real browser", .serialized, .timeLimit(.minutes(5)))
struct DashboardBrowserTests {
    static let admin = "e2e-admin-token-0123456789"

    static var artifacts: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TestArtifacts").path
    }

    struct Status: Decodable {
        var spend_so_far: String
        var forecast: String
        var run_rate_per_hour: String
        var cap: String?
        var budget: String?
        var headroom: String?
        var services: [Service]
        struct Service: Decodable { var service: String }
    }

    /// Six days of hourly usage (fewer early in a month) for three prod services and one staging service,
    /// with search growing fast over the last hours; caps, budgets, policies, decisions (one vetoed) and an
    /// abnormal-growth alert.
    static func seed(_ base: String, database: DatabaseURL, now: Timestamp) async throws -> (cap: Money, budget: Money) {
        let auth = ["Authorization": "Bearer \(admin)"]
        func put(_ path: String, _ body: String) async throws {
            let (status, text) = try await HTTP.send(base + path, method: .PUT, headers: auth.merging(["Content-Type": "application/json"]) { $1 }, body: body)
            #expect(status == 200 || status == 201, "PUT \(path): \(status) \(text)")
        }
        try await put("/v1/tenants/acme/rate-card", #"{"currency":"USD","effective_from":"2020-01-01T00:00:00Z","prices":{"cpu_cores":"0.04","memory_gib":"0.005"}}"#)
        let first = max(now.startOfMonth, now.startOfHour - .hours(6 * 24))
        var samples: [String] = []
        var hour = first
        var index = 0
        while hour < now.startOfHour {
            let end = hour + .hours(1)
            let wave = Double(index % 24 < 12 ? index % 24 : 24 - index % 24)
            let late = hour >= now.startOfHour - .hours(6)
            for (environment, service, cores) in [
                ("prod", "api", 24 + wave), ("prod", "worker", 10 + wave / 2), ("prod", "search", late ? 40.0 : 6),
                ("staging", "api", 4.0),
            ] {
                samples.append(
                    #"{"environment":"\#(environment)","service":"\#(service)","resource":"cpu_cores","quantity":\#(cores),"start":"\#(hour)","end":"\#(end)"}"#
                )
                samples.append(
                    #"{"environment":"\#(environment)","service":"\#(service)","resource":"memory_gib","quantity":\#(cores * 4),"start":"\#(hour)","end":"\#(end)"}"#
                )
            }
            hour = end
            index += 1
        }
        let (status, text) = try await HTTP.post(base + "/v1/tenants/acme/usage", headers: auth, body: #"{"samples":[\#(samples.joined(separator: ","))]}"#)
        #expect(status == 200, "\(text)")

        // Limits from the seeded figures, whatever the day of the month: the period cap and the budget sit above
        // the forecast, and the run-rate cap leaves room for one small replica but not a large one.
        let (_, statusText) = try await HTTP.get(base + "/v1/tenants/acme/environments/prod/status", headers: auth)
        let before = try JSONDecoder().decode(Status.self, from: Data(statusText.utf8))
        let forecast = try #require(Money(decimalString: before.forecast))
        let runRate = try #require(Money(decimalString: before.run_rate_per_hour))
        let cents: Int64 = 10_000_000
        let cap = Money(nanos: forecast.nanos * 13 / 10 / cents * cents)
        let budget = Money(nanos: forecast.nanos * 11 / 10 / cents * cents)
        let hourly = Money(nanos: runRate.nanos + 30 * cents)
        try await put(
            "/v1/tenants/acme/environments/prod/cap",
            #"{"name":"prod-cap","enforcement":"deny","period_spend":"\#(cap)","hourly_run_rate":"\#(hourly)"}"#
        )
        try await put("/v1/tenants/acme/environments/staging/cap", #"{"name":"staging-cap","period_spend":"150.00"}"#)
        try await put("/v1/tenants/acme/budgets/prod-monthly", #"{"environment":"prod","amount":"\#(budget)"}"#)
        try await put("/v1/tenants/acme/budgets/staging-monthly", #"{"environment":"staging","amount":"100.00"}"#)
        for service in ["api", "worker", "search"] {
            try await put(
                "/v1/tenants/acme/environments/prod/services/\(service)/policy",
                #"{"min_replicas":1,"max_replicas":40,"scale_up":{"max_step_replicas":10,"cooldown_seconds":0}}"#
            )
        }
        // 0.12 USD/h a replica for api and worker, 0.96 for search.
        func decide(_ id: String, _ service: String, from: Int, to: Int, cores: Int = 2) async throws {
            let body = #"{"request_id":"\#(id)","environment":"prod","service":"\#(service)","current_replicas":\#(from),"desired_replicas":\#(to),"per_replica":{"cpu_cores":\#(cores),"memory_gib":\#(cores * 4)},"signals":[{"name":"queue_depth","value":900}]}"#
            let (status, text) = try await HTTP.post(base + "/v1/tenants/acme/decisions", headers: auth, body: body)
            #expect(status == 200, "\(text)")
        }
        try await decide("d-1", "api", from: 4, to: 5)
        try await decide("d-2", "worker", from: 3, to: 4)
        try await decide("d-3", "search", from: 6, to: 16, cores: 16)

        // The hourly detector needs two weeks of history before it speaks; the alert it would raise is
        // recorded through the store as the job records it.
        let store = BudgetStore(url: database, maximumConnections: 1, acquireTimeout: TestDatabase.acquireTimeout, logger: TestDatabase.testLogger)
        try await store.whileRunning {
            _ = try await store.raiseAlert(
                tenant: "acme",
                AlertDraft(
                    dedupKey: "anomaly:prod:search", kind: .anomaly, severity: .warning, environment: "prod", service: "search",
                    summary: "prod/search cost grew to 2.24 USD/h, 6.7x its usual 0.33 USD/h", details: "{}"
                ),
                now: now.startOfHour - .hours(5)
            )
        }
        return (cap, budget)
    }

    @Test("sign in through the form, then the environment list and page show the API's figures, charts, the veto and the anomaly")
    func dashboard() async throws {
        guard HeadlessChromium.executable != nil else {
            Issue.record("chromium is not installed; .ci/run installs it (apt-get install chromium)")
            return
        }
        let database = try await TestDatabase.make()
        let server = try ServeProcess(environment: ["DATABASE_URL": database.urlString, "CHARTLY_ADMIN_TOKEN": Self.admin])
        defer { _ = try? server.process.terminate() }
        try await server.waitUntilReady()
        // The run rate is read from the latest complete hour: keep the test inside one hour.
        let untilNextHour = Timestamp.now().startOfHour + .hours(1) - Timestamp.now()
        if untilNextHour < .minutes(3) { try await Task.sleep(for: .seconds(untilNextHour.totalSeconds + 2)) }
        let now = Timestamp.now()
        let (cap, budget) = try await Self.seed(server.baseURL, database: database, now: now)
        let (_, statusText) = try await HTTP.get(server.baseURL + "/v1/tenants/acme/environments/prod/status", headers: ["Authorization": "Bearer \(Self.admin)"])
        let status = try JSONDecoder().decode(Status.self, from: Data(statusText.utf8))
        let (_, tokenText) = try await HTTP.post(
            server.baseURL + "/v1/tokens", headers: ["Authorization": "Bearer \(Self.admin)"], body: #"{"name":"viewer","scopes":["acme:read"]}"#
        )
        struct Created: Decodable { var token: String }
        let viewer = try JSONDecoder().decode(Created.self, from: Data(tokenText.utf8)).token

        let browser = try HeadlessChromium()
        defer { browser.shutdown() }
        let page = try await BrowserPage.open(in: browser, width: 1280, height: 900)

        // Not signed in: the dashboard sends the browser to the form.
        try await page.navigate(server.baseURL + "/")
        #expect(try await page.url() == server.baseURL + "/login")
        try await page.screenshot(to: Self.artifacts + "/dashboard-sign-in.png")

        // A wrong token is refused on the form itself.
        try await page.navigating(by: "document.querySelector('#token').value = 'cbt_0000000000000000_wrong'; document.querySelector('form.sign-in').submit()")
        #expect(try await page.evaluate("document.querySelector('#sign-in-error')?.textContent ?? ''", as: String.self).contains("unknown"))

        try await page.navigating(by: "document.querySelector('#token').value = '\(viewer)'; document.querySelector('form.sign-in').submit()")
        #expect(try await page.url() == server.baseURL + "/tenants/acme")
        // The session cookie is HttpOnly: scripts cannot read it.
        #expect(try await page.evaluate("document.cookie", as: String.self) == "")
        struct ListRow: Decodable { var environment: String; var spend: String; var forecast: String }
        let rows = try await page.evaluate(
            "[...document.querySelectorAll('#environments tbody tr[data-environment]')].map(r => ({environment: r.dataset.environment, spend: r.querySelector('td[data-value]').dataset.value, forecast: r.querySelector('td.forecast').dataset.value}))",
            as: [ListRow].self
        )
        #expect(rows.map(\.environment) == ["prod", "staging"])
        #expect(rows.first.flatMap { Money(decimalString: $0.spend) } == Money(decimalString: status.spend_so_far))
        try await page.screenshot(to: Self.artifacts + "/dashboard-environments.png")

        try await page.navigate(server.baseURL + "/tenants/acme/environments/prod")
        struct Figures: Decodable {
            var spend: String
            var forecast: String
            var cap: String
            var budget: String
            var headroom: String
            var runRate: String
        }
        let figures = try await page.evaluate(
            "({spend: document.querySelector('#spend-so-far').dataset.value, forecast: document.querySelector('#forecast').dataset.value, cap: document.querySelector('#cap').dataset.value, budget: document.querySelector('#budget').dataset.value, headroom: document.querySelector('#headroom').dataset.value, runRate: document.querySelector('#run-rate').dataset.value})",
            as: Figures.self
        )
        #expect(Money(decimalString: figures.spend) == Money(decimalString: status.spend_so_far))
        #expect(Money(decimalString: figures.runRate) == Money(decimalString: status.run_rate_per_hour))
        #expect(Money(decimalString: figures.cap) == cap)
        #expect(Money(decimalString: figures.budget) == budget)
        let forecast = try #require(Money(decimalString: figures.forecast))
        #expect(forecast <= Money(decimalString: status.forecast)!)
        #expect(Money(decimalString: figures.headroom) == cap - forecast)

        struct Chart: Decodable {
            var forecastDashed: Bool
            var capLine: Bool
            var budgetLine: Bool
            var legend: [String]
            var axes: Int
            var serviceAreas: [String]
            var anomalies: Int
        }
        let chart = try await page.evaluate(
            """
            ({forecastDashed: !!document.querySelector('#spend-chart .forecast-line[stroke-dasharray]'),
              capLine: !!document.querySelector('#spend-chart .cap-line'),
              budgetLine: !!document.querySelector('#spend-chart .budget-line'),
              legend: [...document.querySelectorAll('#spend-chart .legend-item')].map(e => e.textContent.trim()),
              axes: document.querySelectorAll('#spend-chart .axis').length,
              serviceAreas: [...document.querySelectorAll('#service-chart .service-area')].map(e => e.dataset.service ?? e.getAttribute('data-service') ?? ''),
              anomalies: document.querySelectorAll('svg g.anomaly').length})
            """,
            as: Chart.self
        )
        #expect(chart.forecastDashed)
        #expect(chart.capLine)
        #expect(chart.budgetLine)
        #expect(chart.axes == 2)
        #expect(chart.legend.contains { $0.lowercased().contains("forecast") }, "\(chart.legend)")
        #expect(Set(chart.serviceAreas) == ["api", "worker", "search"], "\(chart.serviceAreas)")
        #expect(chart.anomalies >= 1)

        struct Tables: Decodable {
            var services: [String]
            var vetoes: [String]
            var alerts: [String]
            var scripts: Int
        }
        let tables = try await page.evaluate(
            """
            ({services: [...document.querySelectorAll('table#services tbody tr[data-service]')].map(r => r.dataset.service),
              vetoes: [...document.querySelectorAll('table#decisions tr.veto')].map(r => r.textContent),
              alerts: [...document.querySelectorAll('ul#alerts li.alert')].map(l => l.dataset.kind),
              scripts: document.scripts.length})
            """,
            as: Tables.self
        )
        #expect(tables.services == status.services.map(\.service))
        #expect(tables.vetoes.count == 1, "\(tables.vetoes)")
        #expect(tables.vetoes.first?.contains("search") == true)
        #expect(tables.vetoes.first?.contains("prod-cap") == true, "\(tables.vetoes)")
        #expect(tables.alerts.contains("anomaly"))
        #expect(tables.alerts.contains("cap_veto"))
        #expect(tables.scripts == 0)
        let bytes = try await page.screenshot(to: Self.artifacts + "/dashboard-prod.png")
        #expect(bytes > 20_000, "a rendered page, not a blank one")
    }
}
