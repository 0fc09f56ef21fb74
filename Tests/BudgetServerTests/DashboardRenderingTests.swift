import BudgetCore
import BudgetServer
import Foundation
import Testing

@Suite("Dashboard pages render the model as HTML, with SVG charts and nothing executable")
struct DashboardRenderingTests {
    let page = try! DashboardRenderer.render(.environment(DashboardFixtures.production))

    @Test("the headline figures carry stable ids, exact data values and grouped, rounded text")
    func figures() {
        #expect(page.contains(#"<dd id="spend-so-far" data-value="4123.456" data-currency="USD">4,123.46 <span class="unit">USD</span></dd>"#))
        #expect(page.contains(#"<dd id="forecast" data-value="9850.956" data-currency="USD">9,850.96 <span class="unit">USD</span></dd>"#))
        #expect(page.contains(#"<dd id="budget" data-value="9000.00" data-currency="USD">9,000.00 <span class="unit">USD</span></dd>"#))
        #expect(page.contains(#"<dd id="cap" data-value="10000.00" data-currency="USD">10,000.00 <span class="unit">USD</span></dd>"#))
        #expect(page.contains(#"<dd id="run-rate" data-value="14.50" data-currency="USD">14.50 <span class="unit">USD/h</span></dd>"#))
        #expect(page.contains(#"<dd id="headroom" data-value="5876.544" data-currency="USD">5,876.54 <span class="unit">USD</span></dd>"#))
        // Above the budget but under the cap: flagged as such.
        #expect(page.contains(#"<div class="figure over-budget"><dt>Forecast</dt>"#))
        #expect(page.contains(#"<p class="note" id="unpriced">egress_gib has no rate"#))
        #expect(page.contains(#"<time datetime="2024-11-14T13:00:00Z" id="as-of">Nov 14 13:00 UTC</time>"#))
    }

    @Test("the services table is sorted by spend, largest first, with shares and run rates")
    func servicesSorted() throws {
        let table = try Self.slice(page, from: #"<table id="services">"#, to: "</table>")
        let order = Self.attributeValues("data-service", in: table)
        #expect(order == ["api", "worker", "&lt;script&gt;alert(1)&lt;/script&gt;", "&quot;&amp;&lt;&gt;"])
        #expect(table.contains("<td class=\"num\">1,710.00 USD</td>"))
        #expect(table.contains("41.5 %"))
        #expect(table.contains("0.0345 USD/h"))
    }

    @Test("deny rows are vetoes and clamp rows are highlighted; decisions are newest first with their reasons")
    func decisions() throws {
        let table = try Self.slice(page, from: #"<table id="decisions">"#, to: "</table>")
        #expect(Self.attributeValues("data-outcome", in: table) == ["allow", "deny", "clamp"])
        #expect(table.contains(#"<tr class="veto" data-outcome="deny" data-decision-id="d-2">"#))
        #expect(table.contains(#"<tr class="clamp" data-outcome="clamp" data-decision-id="d-3">"#))
        #expect(table.contains(#"<tr class="allow" data-outcome="allow" data-decision-id="d-1">"#))
        #expect(table.components(separatedBy: #"class="veto""#).count == 2)
        #expect(table.contains("6 → 6 (asked 12)"))
        #expect(table.contains("<li>cap_period_spend: projected 10,412.00 USD would exceed the cap 10,000.00 USD</li>"))
    }

    @Test("firing alerts are listed most severe first")
    func alerts() throws {
        let list = try Self.slice(page, from: #"<ul id="alerts""#, to: "</ul>")
        #expect(Self.attributeValues("data-kind", in: list) == ["cap_forecast", "budget_actual"])
        #expect(list.contains(#"<li class="alert critical" data-kind="cap_forecast">"#))
        #expect(list.contains("Forecast 9,850.96 USD is above 98 % of the cap"))
    }

    @Test("the spend chart has the spend line, the dashed forecast, budget and cap lines, a legend and axes with units")
    func spendChart() throws {
        let chart = try Self.slice(page, from: #"<svg xmlns="http://www.w3.org/2000/svg" id="spend-chart""#, to: "</svg>")
        #expect(chart.contains(#"role="img""#))
        #expect(chart.contains(#"<title id="spend-chart-title">Spend vs budget and cap for prod, Nov 1 – Dec 1, 2024</title>"#))
        #expect(chart.contains(#"<path class="spend-line""#))
        let forecast = try Self.slice(chart, from: #"<path class="forecast-line""#, to: "/>")
        #expect(forecast.contains("stroke-dasharray"))
        #expect(chart.contains(#"<g class="budget-line">"#) && chart.contains("Budget 9,000.00 USD"))
        #expect(chart.contains(#"<g class="cap-line">"#) && chart.contains("Cap 10,000.00 USD"))
        #expect(chart.contains("Forecast 9,850.96 USD"))
        let legend = try Self.slice(chart, from: #"<g class="legend""#, to: #"<g class="grid""#)
        for entry in ["Spend so far", "Forecast", "Budget", "Cap", "Anomaly"] {
            #expect(legend.contains(">\(entry)</text>"), "legend entry \(entry)")
        }
        // Units and readable ticks: the currency, thousands separators, dates.
        #expect(chart.contains(">USD</text>"))
        #expect(chart.contains(">10,000</text>") && chart.contains(">12,000</text>") && !chart.contains(">14,000</text>"))
        #expect(chart.contains(">Nov 1</text>") && chart.contains(">Nov 28</text>") && chart.contains(">Dec 1</text>"))
        #expect(chart.contains(">Date (UTC)</text>"))
    }

    @Test("the service chart stacks the largest services, folds the rest into other, and labels its unit")
    func serviceChart() throws {
        let chart = try Self.slice(page, from: #"<svg xmlns="http://www.w3.org/2000/svg" id="service-chart""#, to: "</svg>")
        let areas = chart.components(separatedBy: #"<path class="service-area""#).dropFirst()
            .flatMap { Self.attributeValues("data-service", in: String($0.prefix { $0 != ">" })) }
        #expect(areas.count == 6)
        #expect(areas.first == "api")
        #expect(areas.last == "other (3 services)")
        #expect(chart.contains(">USD per day</text>"))
    }

    @Test("anomalies are marked on both charts, with tooltips, and listed")
    func anomalies() throws {
        for id in ["spend-chart", "service-chart"] {
            let chart = try Self.slice(page, from: "id=\"\(id)\"", to: "</svg>")
            #expect(chart.components(separatedBy: #"<g class="anomaly""#).count - 1 == 2, "\(id)")
            #expect(chart.contains("<title>Anomaly Nov 9 10:00 UTC · worker: cost 2.5× its 7-day baseline (+70.00 USD/day)</title>"))
        }
        let list = try Self.slice(page, from: #"<ul id="anomalies""#, to: "</ul>")
        #expect(list.contains("<strong>worker</strong>: cost 2.5×"))
    }

    @Test("hostile service names and messages are escaped in the HTML and in the SVG")
    func hostileTextEscaped() throws {
        for raw in [DashboardFixtures.hostileScript, DashboardFixtures.hostileQuotes, "<b>bold</b>", "<i>markup</i>"] {
            #expect(!page.contains(raw), "\(raw) appears unescaped")
        }
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(page.contains("&quot;&amp;&lt;&gt;"))
        let serviceChart = try Self.slice(page, from: #"id="service-chart""#, to: "</svg>")
        #expect(serviceChart.contains(#"data-service="&lt;script&gt;alert(1)&lt;/script&gt;""#))
        #expect(serviceChart.contains(">&quot;&amp;&lt;&gt;</text>"))
        #expect(serviceChart.contains("spike &lt;b&gt;bold&lt;/b&gt; &amp; more"))
    }

    @Test("no page contains a script, and the same model always renders to the same bytes")
    func noScriptsAndDeterministic() throws {
        let pages: [DashboardPage] = [
            .environment(DashboardFixtures.production),
            .environmentList(tenant: "acme", environments: DashboardFixtures.summaries),
            .signIn(error: DashboardFixtures.hostileScript),
            .signIn(error: nil),
        ]
        for page in pages {
            let first = try DashboardRenderer.render(page)
            #expect(first == (try DashboardRenderer.render(page)))
            #expect(!first.lowercased().contains("<script"))
            #expect(!first.lowercased().contains("javascript:"))
            #expect(first.lowercased().firstMatch(of: #/\son[a-z]+\s*=/#) == nil, "no event handler attributes")
            #expect(first.hasPrefix("<!DOCTYPE html>"))
            #expect(first.hasSuffix("</html>\n"))
        }
    }

    @Test("the environment list links each environment by its encoded path, with its figures")
    func environmentList() throws {
        let html = try DashboardRenderer.render(.environmentList(tenant: "acme", environments: DashboardFixtures.summaries))
        let table = try Self.slice(html, from: #"<table id="environments">"#, to: "</table>")
        #expect(Self.attributeValues("data-environment", in: table) == ["prod", "staging"])
        #expect(table.contains(#"<a href="/tenants/acme/environments/prod">prod</a>"#))
        #expect(table.contains(#"<td class="num" data-value="4123.456">4,123.46 USD</td>"#))
        #expect(table.contains(#"<span class="badge critical">2</span>"#))
        #expect(table.contains(#"<meter min="0" max="10000.00" high="9000.00""#))
        #expect(html.contains(#"<form method="post" action="/logout" class="sign-out">"#))

        let odd = EnvironmentSummary(
            tenant: "a b/c", environment: "..", currency: DashboardFixtures.usd, spendSoFar: .zero, forecast: .zero,
            budget: nil, cap: nil, runRatePerHour: .zero, headroom: nil, firingAlerts: 0
        )
        let oddPage = try DashboardRenderer.render(.environmentList(tenant: "a b/c", environments: [odd]))
        #expect(oddPage.contains(#"href="/tenants/a%20b%2Fc/environments/%2E%2E""#))
    }

    @Test("the sign-in page posts a password field named token to /login and shows the error escaped")
    func signIn() throws {
        let html = try DashboardRenderer.render(.signIn(error: "Unknown token <x>"))
        #expect(html.contains(#"<form class="sign-in card" method="post" action="/login">"#))
        #expect(html.contains(#"<input type="password" id="token" name="token""#))
        #expect(html.contains(#"<p class="error" id="sign-in-error" role="alert">Unknown token &lt;x&gt;</p>"#))
        #expect(!html.contains("action=\"/logout\""))
        #expect(!(try DashboardRenderer.render(.signIn(error: nil))).contains("sign-in-error"))
    }

    /// The text from `start` up to and including the first `end` after it.
    static func slice(_ text: String, from start: String, to end: String) throws -> String {
        let lower = try #require(text.range(of: start), "\(start) not found")
        let upper = try #require(text.range(of: end, range: lower.upperBound..<text.endIndex), "\(end) not found after \(start)")
        return String(text[lower.lowerBound..<upper.upperBound])
    }

    /// Every value of `attribute="…"` in order.
    static func attributeValues(_ attribute: String, in text: String) -> [String] {
        text.components(separatedBy: " \(attribute)=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
    }
}
