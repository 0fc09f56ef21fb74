import BudgetCore
import BudgetServer

/// Hand-built dashboard models: a busy production month with hostile names mixed in.
enum DashboardFixtures {
    static let hostileScript = "<script>alert(1)</script>"
    static let hostileQuotes = "\"&<>"
    static let usd = Currency("USD")!

    static func time(_ day: Int, _ hour: Int = 0, month: Int = 11) -> Timestamp {
        Timestamp(year: 2024, month: month, day: day, hour: hour)!
    }

    static func money(_ text: String) -> Money {
        Money(decimalString: text)!
    }

    static let services: [(name: String, perDay: Int64)] = [
        ("api", 100), (hostileScript, 80), ("worker", 45), ("postgres", 35), (hostileQuotes, 15),
        ("search", 10), ("cache", 6), ("ingest", 3),
    ]

    /// Cost of `service` on day `day` (1-based): steady, with `worker` spiking from day 9.
    static func dailyCost(_ service: (name: String, perDay: Int64), day: Int) -> Money {
        let spike: Int64 = service.name == "worker" && day >= 9 ? 70 : 0
        return Money(nanos: (service.perDay + spike + Int64(day % 3)) * Money.nanosPerUnit + 250_000_000)
    }

    static var production: EnvironmentView {
        let days = 1...14
        let series = services.map { service in
            ServiceSeries(service: service.name, points: days.map { CostPoint(at: time($0), amount: dailyCost(service, day: $0)) })
        }
        // Cumulative spend at the end of each day, shaped like the daily totals and ending at spend so far.
        let spendSoFar = money("4123.456")
        let totals = days.map { day in services.reduce(0.0) { $0 + Double(dailyCost($1, day: day).nanos) } }
        let grandTotal = totals.reduce(0, +)
        var running = 0.0
        var cumulative: [CostPoint] = []
        for (day, total) in zip(days, totals) {
            running += total
            let amount = day == days.last ? spendSoFar : Money(nanos: Int64(Double(spendSoFar.nanos) * running / grandTotal))
            cumulative.append(CostPoint(at: min(time(day + 1), time(14, 13)), amount: amount))
        }
        return EnvironmentView(
            tenant: "acme", environment: "prod", currency: usd,
            periodStart: time(1), periodEnd: time(1, month: 12), now: time(14, 13),
            spendSoFar: spendSoFar, runRatePerHour: money("14.5"), forecast: money("9850.956"),
            budget: money("9000"), cap: money("10000"), headroom: money("5876.544"),
            cumulativeSpend: cumulative,
            serviceSeries: series,
            services: [
                ServiceRow(service: "worker", spend: money("1500.5"), runRatePerHour: money("6.25"), share: 0.3639),
                ServiceRow(service: "api", spend: money("1710"), runRatePerHour: money("5"), share: 0.4147),
                ServiceRow(service: hostileScript, spend: money("600"), runRatePerHour: money("2"), share: 0.1455),
                ServiceRow(service: hostileQuotes, spend: money("312.956"), runRatePerHour: money("0.0345"), share: 0.0759),
            ],
            anomalies: [
                AnomalyMarker(at: time(9, 10), service: "worker", message: "cost 2.5× its 7-day baseline (+70.00 USD/day)"),
                AnomalyMarker(at: time(12, 6), service: hostileScript, message: "spike <b>bold</b> & more"),
            ],
            alerts: [
                AlertRow(severity: .warning, kind: "budget_actual", summary: "Spend passed 80 % of budget", since: time(12, 4)),
                AlertRow(severity: .critical, kind: "cap_forecast", summary: "Forecast 9,850.96 USD is above 98 % of the cap", since: time(13, 9)),
            ],
            decisions: [
                DecisionRow(
                    decisionID: "d-1", at: time(14, 12), service: "api", outcome: .allow,
                    currentReplicas: 3, desiredReplicas: 4, allowedReplicas: 4, reasons: []
                ),
                DecisionRow(
                    decisionID: "d-2", at: time(14, 11), service: "worker", outcome: .deny,
                    currentReplicas: 6, desiredReplicas: 12, allowedReplicas: 6,
                    reasons: ["cap_period_spend: projected 10,412.00 USD would exceed the cap 10,000.00 USD"]
                ),
                DecisionRow(
                    decisionID: "d-3", at: time(14, 10), service: hostileScript, outcome: .clamp,
                    currentReplicas: 2, desiredReplicas: 8, allowedReplicas: 4,
                    reasons: ["max_step_up: at most 2 replicas at a time", "reason with <i>markup</i>"]
                ),
            ],
            unpricedNote: "egress_gib has no rate in rate card v3; its usage is not counted"
        )
    }

    static var summaries: [EnvironmentSummary] {
        [
            EnvironmentSummary(
                tenant: "acme", environment: "staging", currency: usd, spendSoFar: money("812.4"), forecast: money("1500"),
                budget: money("2000"), cap: nil, runRatePerHour: money("1.2"), headroom: money("1187.6"), firingAlerts: 0
            ),
            EnvironmentSummary(
                tenant: "acme", environment: "prod", currency: usd, spendSoFar: money("4123.456"), forecast: money("9850.956"),
                budget: money("9000"), cap: money("10000"), runRatePerHour: money("14.5"), headroom: money("5876.544"), firingAlerts: 2
            ),
        ]
    }
}
