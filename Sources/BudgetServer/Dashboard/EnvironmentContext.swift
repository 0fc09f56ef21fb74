import BudgetCore

/// The environment page's template context: every figure formatted, every list in display order.
struct EnvironmentContext {
    struct Figure {
        var id: String
        var label: String
        /// The figure's number ("4,123.46", or "none"); with `unit` its text reads "4,123.46 USD".
        var number: String
        var hasUnit: Bool
        var unit: String
        /// The exact amount as a decimal string (`data-value`), empty when there is none.
        var value: String
        var currency: String
        var figureClass: String
        var hasHint: Bool
        var hint: String
    }

    struct Service {
        var service: String
        var spendText: String
        var spendValue: String
        var shareText: String
        var sharePercent: String
        var runRateText: String
    }

    struct Alert {
        var severity: String
        var kind: String
        var summary: String
        var sinceText: String
        var sinceISO: String
    }

    struct Anomaly {
        var atText: String
        var atISO: String
        var subject: String
        var message: String
    }

    struct Decision {
        var rowClass: String
        var outcome: String
        var hasDecisionID: Bool
        var decisionID: String
        var atText: String
        var atISO: String
        var service: String
        var replicasText: String
        var hasReasons: Bool
        var reasons: [String]
    }

    var chrome: PageChrome
    var tenant: String
    var environment: String
    var periodStartText: String, periodStartISO: String
    var periodEndText: String, periodEndISO: String
    var nowText: String, nowISO: String
    var figures: [Figure]
    var hasUnpricedNote: Bool
    var unpricedNote: String
    var spendChart: String
    var serviceChart: String
    var services: [Service]
    var alerts: [Alert]
    var anomalies: [Anomaly]
    var decisions: [Decision]

    init(_ view: EnvironmentView) {
        chrome = PageChrome(
            title: "\(view.environment) · \(view.tenant)",
            crumbs: [
                .init(label: view.tenant, href: HTMLText.tenantPath(view.tenant), isLink: true),
                .init(label: view.environment, href: HTMLText.environmentPath(tenant: view.tenant, environment: view.environment), isLink: false),
            ],
            signedIn: true
        )
        tenant = view.tenant
        environment = view.environment
        (periodStartText, periodStartISO) = (DisplayFormat.dayWithYear(view.periodStart), view.periodStart.rfc3339)
        (periodEndText, periodEndISO) = (DisplayFormat.dayWithYear(view.periodEnd), view.periodEnd.rfc3339)
        (nowText, nowISO) = (DisplayFormat.dateTime(view.now), view.now.rfc3339)
        figures = Self.figures(view)
        hasUnpricedNote = view.unpricedNote != nil
        unpricedNote = view.unpricedNote ?? ""
        spendChart = SpendChart.svg(view)
        serviceChart = ServiceChart.svg(view)
        services = view.services.sorted { ($0.spend, $1.service) > ($1.spend, $0.service) }.map { row in
            let share = row.share.isFinite ? min(max(row.share, 0), 1) : 0
            return Service(
                service: row.service,
                spendText: DisplayFormat.amount(row.spend, view.currency),
                spendValue: row.spend.decimalString,
                shareText: DisplayFormat.percent(row.share),
                sharePercent: ChartNumber.grouped(share * 100, decimals: 1),
                runRateText: DisplayFormat.rate(row.runRatePerHour, view.currency)
            )
        }
        // Most severe first, then the longest firing.
        alerts = view.alerts.sorted { ($1.severity, $0.since, $0.kind) < ($0.severity, $1.since, $1.kind) }.map { alert in
            Alert(
                severity: alert.severity.rawValue, kind: alert.kind, summary: alert.summary,
                sinceText: DisplayFormat.dateTime(alert.since), sinceISO: alert.since.rfc3339
            )
        }
        anomalies = view.anomalies.sorted { $0.at < $1.at }.map { anomaly in
            Anomaly(
                atText: DisplayFormat.dateTime(anomaly.at), atISO: anomaly.at.rfc3339,
                subject: anomaly.service ?? "whole environment", message: anomaly.message
            )
        }
        decisions = view.decisions.sorted { $0.at > $1.at }.map(Self.decision)
    }

    private static func decision(_ row: DecisionRow) -> Decision {
        let rowClass = switch row.outcome {
        case .deny: "veto"
        case .clamp: "clamp"
        case .allow: "allow"
        }
        return Decision(
            rowClass: rowClass,
            outcome: row.outcome.rawValue,
            hasDecisionID: row.decisionID != nil,
            decisionID: row.decisionID ?? "",
            atText: DisplayFormat.dateTime(row.at),
            atISO: row.at.rfc3339,
            service: row.service,
            replicasText: "\(row.currentReplicas) → \(row.allowedReplicas) (asked \(row.desiredReplicas))",
            hasReasons: !row.reasons.isEmpty,
            reasons: row.reasons
        )
    }

    private static func figures(_ view: EnvironmentView) -> [Figure] {
        let code = view.currency.code
        func amount(_ id: String, _ label: String, _ money: Money?, figureClass: String = "", hint: String = "") -> Figure {
            Figure(
                id: id, label: label, number: money.map(DisplayFormat.amount) ?? "none", hasUnit: money != nil, unit: code,
                value: money?.decimalString ?? "", currency: code,
                figureClass: money == nil ? "absent" : figureClass, hasHint: !hint.isEmpty, hint: hint
            )
        }
        let overCap = view.cap.map { view.forecast > $0 } ?? false
        let overBudget = view.budget.map { view.forecast > $0 } ?? false
        let forecastHint = overCap ? "above the cap" : overBudget ? "above the budget" : "by \(DisplayFormat.dayWithYear(view.periodEnd))"
        return [
            amount("spend-so-far", "Spend so far", view.spendSoFar, hint: "since \(DisplayFormat.day(view.periodStart))"),
            amount("forecast", "Forecast", view.forecast, figureClass: overCap ? "over-cap" : overBudget ? "over-budget" : "", hint: forecastHint),
            amount("budget", "Budget", view.budget),
            amount("cap", "Cap", view.cap),
            Figure(
                id: "run-rate", label: "Run rate", number: DisplayFormat.rate(view.runRatePerHour), hasUnit: true, unit: "\(code)/h",
                value: view.runRatePerHour.decimalString, currency: code, figureClass: "", hasHint: true, hint: "latest complete hour"
            ),
            amount(
                "headroom", "Headroom", view.headroom, figureClass: (view.headroom?.isNegative ?? false) ? "negative" : "",
                hint: view.cap != nil ? "left under the cap" : view.budget != nil ? "left under the budget" : ""
            ),
        ]
    }
}
