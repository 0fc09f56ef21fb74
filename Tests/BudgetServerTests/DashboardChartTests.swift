import BudgetCore
import Foundation
import Testing

@testable import BudgetServer

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite("Dashboard charts: ticks, formatting, edge cases and well-formed SVG")
struct DashboardChartTests {
    @Test("y ticks use the finest 1-2-5 step that fits, and label with the decimals the step needs")
    func niceTicks() {
        #expect(ChartNumber.niceTicks(maximum: 10_800).ticks == [0, 2000, 4000, 6000, 8000, 10_000, 12_000])
        #expect(ChartNumber.niceTicks(maximum: 10_800).decimals == 0)
        #expect(ChartNumber.niceTicks(maximum: 380).ticks == [0, 100, 200, 300, 400])
        #expect(ChartNumber.niceTicks(maximum: 0).ticks.count == 6)
        #expect(ChartNumber.niceTicks(maximum: 0.37).decimals == 1)
        #expect(ChartNumber.niceTicks(maximum: .nan).ticks.last == 1)
        #expect(ChartNumber.grouped(1_234_567.891, decimals: 2) == "1,234,567.89")
        #expect(ChartNumber.grouped(-0.25, decimals: 1) == "-0.3")
        #expect(ChartNumber.grouped(-0.01, decimals: 1) == "0.0")
        #expect(ChartNumber.coordinate(12.04) == "12")
        #expect(ChartNumber.coordinate(-3.25) == "-3.3")
    }

    @Test("amounts are shown to the cent, rounded half to even, with thousands separators")
    func amounts() {
        let usd = DashboardFixtures.usd
        #expect(DisplayFormat.amount(Money(decimalString: "0.125")!, usd) == "0.12 USD")
        #expect(DisplayFormat.amount(Money(decimalString: "0.135")!, usd) == "0.14 USD")
        #expect(DisplayFormat.amount(Money(decimalString: "-1234.565")!, usd) == "-1,234.56 USD")
        #expect(DisplayFormat.amount(Money(decimalString: "9223372036.854775807")!) == "9,223,372,036.85")
        #expect(DisplayFormat.rate(Money(decimalString: "0.00004")!, usd) == "0.00 USD/h")
        #expect(DisplayFormat.rate(Money(decimalString: "12.4")!, usd) == "12.40 USD/h")
    }

    @Test("a month has day ticks a few days apart; a day has hour ticks")
    func timeTicks() {
        let month = TimeTicks.ticks(from: DashboardFixtures.time(1), to: DashboardFixtures.time(1, month: 12))
        #expect(month.map(\.label) == ["Nov 1", "Nov 4", "Nov 7", "Nov 10", "Nov 13", "Nov 16", "Nov 19", "Nov 22", "Nov 25", "Nov 28", "Dec 1"])
        let day = TimeTicks.ticks(from: DashboardFixtures.time(3), to: DashboardFixtures.time(4))
        #expect(day.map(\.label) == ["Nov 3", "03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00", "Nov 4"])
    }

    @Test("an environment with no data, no budget and no cap renders without NaN, with empty states")
    func emptyEnvironment() throws {
        let view = EnvironmentView(
            tenant: "acme", environment: "dev", currency: DashboardFixtures.usd,
            periodStart: DashboardFixtures.time(1), periodEnd: DashboardFixtures.time(1, month: 12), now: DashboardFixtures.time(1),
            spendSoFar: .zero, runRatePerHour: .zero, forecast: .zero
        )
        let html = try DashboardRenderer.render(.environment(view))
        #expect(html.contains(#"<dd id="budget" data-value="" data-currency="USD">none</dd>"#))
        #expect(html.contains(#"<dd id="headroom" data-value="" data-currency="USD">none</dd>"#))
        #expect(html.contains("No cost recorded in this period yet"))
        #expect(html.contains("No alerts are firing."))
        #expect(html.contains("No scaling decisions in this period yet."))
        #expect(!html.contains("budget-line") && !html.contains("cap-line"))
        for bad in ["nan", "inf"] { #expect(!html.lowercased().contains("=\"\(bad)") && !html.lowercased().contains(",\(bad)")) }
        try Self.expectWellFormedCharts(html)
    }

    @Test("a daily period with hourly buckets and a lone bucket still draws every series")
    func dailyPeriod() throws {
        let start = DashboardFixtures.time(3)
        var view = DashboardFixtures.production
        view.periodStart = start
        view.periodEnd = DashboardFixtures.time(4)
        view.now = DashboardFixtures.time(3, 9)
        view.cumulativeSpend = (1...9).map { CostPoint(at: DashboardFixtures.time(3, $0), amount: Money(nanos: Int64($0) * 2_000_000_000)) }
        view.serviceSeries = [ServiceSeries(service: "api", points: [CostPoint(at: DashboardFixtures.time(3, 8), amount: Money(nanos: 3_000_000_000))])]
        view.anomalies = [AnomalyMarker(at: DashboardFixtures.time(3, 8), service: "api", message: "jump")]
        let html = try DashboardRenderer.render(.environment(view))
        #expect(html.contains(">USD per hour</text>"))
        #expect(html.contains(">06:00</text>"))
        #expect(html.contains(#"<path class="service-area" data-service="api""#))
        let serviceChart = try DashboardRenderingTests.slice(html, from: #"id="service-chart""#, to: "</svg>")
        #expect(serviceChart.contains(#"<g class="anomaly" data-service="api">"#))
        try Self.expectWellFormedCharts(html)
    }

    @Test("the charts of the busy fixture are well-formed XML despite hostile names")
    func wellFormed() throws {
        try Self.expectWellFormedCharts(try DashboardRenderer.render(.environment(DashboardFixtures.production)))
    }

    /// Each inline `<svg>` parses as XML on its own (so it is also a valid standalone SVG file).
    static func expectWellFormedCharts(_ html: String) throws {
        #if canImport(FoundationXML) || canImport(Darwin)
        let charts = html.components(separatedBy: "<svg ").dropFirst().map { "<svg " + $0.components(separatedBy: "</svg>")[0] + "</svg>" }
        #expect(charts.count == 2)
        for chart in charts {
            let parser = XMLParser(data: Data(chart.utf8))
            #expect(parser.parse(), "not well-formed: \(String(describing: parser.parserError))")
        }
        #endif
    }
}
