import BudgetCore

/// What the shared header shows: the page title, breadcrumbs and, when signed in, the sign-out form.
struct PageChrome {
    struct Crumb {
        var label: String
        var href: String
        var isLink: Bool
    }

    var title: String
    var crumbs: [Crumb]
    var signedIn: Bool
}

/// The sign-in page's template context.
struct SignInContext {
    var chrome = PageChrome(title: "Sign in", crumbs: [], signedIn: false)
    var hasError: Bool
    var error: String

    init(error: String?) {
        hasError = error != nil
        self.error = error ?? ""
    }
}

/// The environment list's template context: one row per environment, sorted by name.
struct EnvironmentListContext {
    struct Row {
        var environment: String
        var href: String
        var rowClass: String
        var spendText: String
        var spendValue: String
        var forecastText: String
        var forecastValue: String
        var budgetText: String
        var capText: String
        var runRateText: String
        var headroomText: String
        var headroomClass: String
        var firingAlerts: Int
        var alerting: Bool
        var hasMeter: Bool
        var meterMax: String
        var meterHigh: String
        var meterTitle: String
    }

    struct TenantLink {
        var name: String
        var href: String
        var current: Bool
    }

    var chrome: PageChrome
    var tenant: String
    var rows: [Row]
    var tenants: [TenantLink]
    var hasTenants: Bool

    init(tenant: String, environments: [EnvironmentSummary], tenants: [String] = []) {
        chrome = PageChrome(
            title: "Environments · \(tenant)",
            crumbs: [.init(label: tenant, href: HTMLText.tenantPath(tenant), isLink: false)],
            signedIn: true
        )
        self.tenant = tenant
        self.tenants = tenants.sorted().map { TenantLink(name: $0, href: HTMLText.tenantPath($0), current: $0 == tenant) }
        hasTenants = tenants.count > 1
        rows = environments.sorted { ($0.tenant, $0.environment) < ($1.tenant, $1.environment) }.map(Self.row)
    }

    private static func row(_ summary: EnvironmentSummary) -> Row {
        let currency = summary.currency
        let limit = summary.cap ?? summary.budget
        let overCap = summary.cap.map { summary.forecast > $0 } ?? false
        let overBudget = summary.budget.map { summary.forecast > $0 } ?? false
        let share = limit.map { $0.nanos > 0 ? Double(summary.spendSoFar.nanos) / Double($0.nanos) : 0 }
        return Row(
            environment: summary.environment,
            href: HTMLText.environmentPath(tenant: summary.tenant, environment: summary.environment),
            rowClass: overCap ? "over-cap" : overBudget ? "over-budget" : "",
            spendText: DisplayFormat.amount(summary.spendSoFar, currency),
            spendValue: summary.spendSoFar.decimalString,
            forecastText: DisplayFormat.amount(summary.forecast, currency),
            forecastValue: summary.forecast.decimalString,
            budgetText: summary.budget.map { DisplayFormat.amount($0, currency) } ?? "none",
            capText: summary.cap.map { DisplayFormat.amount($0, currency) } ?? "none",
            runRateText: DisplayFormat.rate(summary.runRatePerHour, currency),
            headroomText: summary.headroom.map { DisplayFormat.amount($0, currency) } ?? "–",
            headroomClass: (summary.headroom?.isNegative ?? false) ? "negative" : "",
            firingAlerts: summary.firingAlerts,
            alerting: summary.firingAlerts > 0,
            hasMeter: limit.map { $0.nanos > 0 } ?? false,
            meterMax: limit?.decimalString ?? "",
            // The meter turns to its warning colour past the budget (or 80 % of a cap without one).
            meterHigh: (summary.cap != nil ? summary.budget : nil)?.decimalString
                ?? Money(nanos: (limit?.nanos ?? 0) / 5 * 4).decimalString,
            meterTitle: share.map { "\(DisplayFormat.percent($0)) of \(summary.cap != nil ? "cap" : "budget")" } ?? ""
        )
    }
}
