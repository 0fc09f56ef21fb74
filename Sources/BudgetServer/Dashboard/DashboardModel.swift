import BudgetCore

/// One page of the server-rendered dashboard, with everything it shows already computed.
public enum DashboardPage: Sendable {
    /// `/tenants/{tenant}`: the tenant's environments, each with its headline figures, and links to the
    /// other tenants the signed-in token may read.
    case environmentList(tenant: String, environments: [EnvironmentSummary], tenants: [String] = [])
    /// `/tenants/{tenant}/environments/{environment}`: charts, services, alerts and decisions.
    case environment(EnvironmentView)
    /// The sign-in form, with the reason the last attempt failed when there was one.
    case signIn(error: String?)
}

/// An environment's headline figures, as one row of the environment list.
public struct EnvironmentSummary: Sendable, Hashable {
    public var tenant: String
    public var environment: String
    public var currency: Currency
    public var spendSoFar: Money
    public var forecast: Money
    public var budget: Money?
    public var cap: Money?
    public var runRatePerHour: Money
    /// The cap (or, without one, the budget) minus the forecast; nil when neither is set.
    public var headroom: Money?
    public var firingAlerts: Int

    public init(
        tenant: String, environment: String, currency: Currency, spendSoFar: Money, forecast: Money,
        budget: Money?, cap: Money?, runRatePerHour: Money, headroom: Money?, firingAlerts: Int
    ) {
        self.tenant = tenant
        self.environment = environment
        self.currency = currency
        self.spendSoFar = spendSoFar
        self.forecast = forecast
        self.budget = budget
        self.cap = cap
        self.runRatePerHour = runRatePerHour
        self.headroom = headroom
        self.firingAlerts = firingAlerts
    }
}

/// Everything the environment page shows for one period of one environment.
public struct EnvironmentView: Sendable, Hashable {
    public var tenant: String
    public var environment: String
    public var currency: Currency
    public var periodStart: Timestamp
    public var periodEnd: Timestamp
    /// The evaluation time: the spend line ends and the forecast starts here.
    public var now: Timestamp
    public var spendSoFar: Money
    public var runRatePerHour: Money
    public var forecast: Money
    public var budget: Money?
    public var cap: Money?
    public var headroom: Money?
    /// Cumulative spend from the period's start up to now (hourly or daily points, ascending).
    public var cumulativeSpend: [CostPoint]
    /// Cost per bucket for each service, every series over the same buckets (ascending).
    public var serviceSeries: [ServiceSeries]
    /// The per-service table; the renderer sorts it by spend.
    public var services: [ServiceRow]
    public var anomalies: [AnomalyMarker]
    /// Alerts currently firing.
    public var alerts: [AlertRow]
    /// Recent scaling decisions, newest first.
    public var decisions: [DecisionRow]
    /// Why some usage has no price (e.g. "3 resources have no rate: egress_gib"), shown as a note.
    public var unpricedNote: String?

    public init(
        tenant: String, environment: String, currency: Currency,
        periodStart: Timestamp, periodEnd: Timestamp, now: Timestamp,
        spendSoFar: Money, runRatePerHour: Money, forecast: Money,
        budget: Money? = nil, cap: Money? = nil, headroom: Money? = nil,
        cumulativeSpend: [CostPoint] = [], serviceSeries: [ServiceSeries] = [], services: [ServiceRow] = [],
        anomalies: [AnomalyMarker] = [], alerts: [AlertRow] = [], decisions: [DecisionRow] = [],
        unpricedNote: String? = nil
    ) {
        self.tenant = tenant
        self.environment = environment
        self.currency = currency
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.now = now
        self.spendSoFar = spendSoFar
        self.runRatePerHour = runRatePerHour
        self.forecast = forecast
        self.budget = budget
        self.cap = cap
        self.headroom = headroom
        self.cumulativeSpend = cumulativeSpend
        self.serviceSeries = serviceSeries
        self.services = services
        self.anomalies = anomalies
        self.alerts = alerts
        self.decisions = decisions
        self.unpricedNote = unpricedNote
    }
}
