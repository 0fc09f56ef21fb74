import BudgetCore
import BudgetStore
import Foundation

/// An environment's budget and cap for the period, and the headroom the forecast leaves under them.
struct EnvironmentLimits: Sendable {
    var budget: Money?
    var budgetName: String?
    var cap: Money?
    var capName: String?
    /// The cap (or, without one, the budget) minus the forecast: what the period can still absorb.
    var headroom: Money?

    /// The environment-wide cap with a period-spend limit, and the smallest environment-wide budget.
    static func load(store: BudgetStore, tenant: String, environment: String, forecast: Money) async throws -> EnvironmentLimits {
        let caps = try await store.configs(Cap.self, tenant: tenant)
            .filter { $0.environment == environment && $0.service == nil && $0.periodSpend != nil }
            .sorted { ($0.enforcement == .deny ? 0 : 1, $0.periodSpend!) < ($1.enforcement == .deny ? 0 : 1, $1.periodSpend!) }
        let budgets = try await store.configs(Budget.self, tenant: tenant)
            .filter { $0.environment == environment && $0.service == nil }
            .sorted { ($0.amount, $0.name) < ($1.amount, $1.name) }
        let cap = caps.first
        let budget = budgets.first
        let limit = cap?.periodSpend ?? budget?.amount
        return EnvironmentLimits(
            budget: budget?.amount, budgetName: budget?.name, cap: cap?.periodSpend, capName: cap?.name,
            headroom: limit.map { $0 - forecast }
        )
    }
}

/// Reads what the dashboard pages show from the store.
struct DashboardLoader: Sendable {
    let store: BudgetStore
    /// How many recent decisions the environment page lists.
    var decisionLimit = 20

    static let fallbackCurrency = Currency("USD")!

    /// Every environment of the tenant with its headline figures.
    func summaries(tenant: String, now: Timestamp) async throws -> [EnvironmentSummary] {
        let environments = try await store.environmentNames(tenant: tenant)
        let firing = try await store.alerts(AlertQuery(tenant: tenant, state: .firing, limit: 1000))
        var summaries: [EnvironmentSummary] = []
        for environment in environments {
            let status = try await store.environmentStatus(tenant: tenant, environment: environment, now: now)
            let projection = status.projection
            let limits = try await EnvironmentLimits.load(store: store, tenant: tenant, environment: environment, forecast: projection.forecast)
            summaries.append(
                EnvironmentSummary(
                    tenant: tenant, environment: environment, currency: status.currency ?? Self.fallbackCurrency,
                    spendSoFar: projection.spendSoFar, forecast: projection.forecast,
                    budget: limits.budget, cap: limits.cap, runRatePerHour: projection.runRatePerHour,
                    headroom: limits.headroom, firingAlerts: firing.filter { $0.environment == environment }.count
                )
            )
        }
        return summaries
    }

    /// The environment page: charts over the current period, services, anomalies, alerts and decisions.
    func environment(tenant: String, environment: String, now: Timestamp) async throws -> EnvironmentView {
        let status = try await store.environmentStatus(tenant: tenant, environment: environment, now: now)
        let projection = status.projection
        let limits = try await EnvironmentLimits.load(store: store, tenant: tenant, environment: environment, forecast: projection.forecast)
        let start = projection.periodStart
        // Hourly buckets for the first days of a period, daily ones after.
        let step: CostQuery.Step = now.microseconds(since: start) <= 3 * Timestamp.microsecondsPerDay ? .hour : .day
        let report = try await store.costs(
            CostQuery(tenant: tenant, environment: environment, from: start, to: max(now, start + .hours(1)), step: step, groupBy: .service)
        )
        let buckets = Self.buckets(from: start, to: now, step: step)
        let serviceSeries = report.series.map { series in
            let costs = Dictionary(series.points.map { ($0.start, $0.cost) }, uniquingKeysWith: +)
            return ServiceSeries(service: series.key, points: buckets.map { CostPoint(at: $0, amount: costs[$0] ?? .zero) })
        }
        let cumulative = Self.cumulative(serviceSeries: serviceSeries, buckets: buckets, step: step, start: start, now: now, spendSoFar: projection.spendSoFar)
        let total = projection.spendSoFar.nanos
        let services = status.services.map { service in
            ServiceRow(
                service: service.service, spend: service.spendSoFar, runRatePerHour: service.runRatePerHour,
                share: total > 0 ? Double(service.spendSoFar.nanos) / Double(total) : 0
            )
        }
        let anomalies = try await store.alerts(AlertQuery(tenant: tenant, kind: .anomaly, since: start, limit: 200))
            .filter { $0.environment == environment && $0.firedAt <= now }
            .map { AnomalyMarker(at: $0.firedAt, service: $0.service, message: $0.summary) }
        let alerts = try await store.alerts(AlertQuery(tenant: tenant, state: .firing, limit: 200))
            .filter { $0.environment == environment }
            .map { AlertRow(severity: $0.severity, kind: $0.kind.rawValue, summary: $0.summary, since: $0.firedAt) }
        let decisions = try await store.recentDecisions(tenant: tenant, environment: environment, limit: decisionLimit).map { decision in
            DecisionRow(
                decisionID: decision.id.uuidString.lowercased(), at: decision.result.evaluatedAt, service: decision.service,
                outcome: decision.result.outcome, currentReplicas: decision.currentReplicas, desiredReplicas: decision.desiredReplicas,
                allowedReplicas: decision.result.allowedReplicas, reasons: decision.result.reasons.map(\.message)
            )
        }
        return EnvironmentView(
            tenant: tenant, environment: environment, currency: status.currency ?? Self.fallbackCurrency,
            periodStart: start, periodEnd: projection.periodEnd, now: now,
            spendSoFar: projection.spendSoFar, runRatePerHour: projection.runRatePerHour, forecast: projection.forecast,
            budget: limits.budget, cap: limits.cap, headroom: limits.headroom,
            cumulativeSpend: cumulative, serviceSeries: serviceSeries, services: services,
            anomalies: anomalies, alerts: alerts, decisions: decisions,
            unpricedNote: Self.unpricedNote(status.unpriced)
        )
    }

    /// Bucket starts from the period's start up to the bucket holding `now`.
    static func buckets(from start: Timestamp, to now: Timestamp, step: CostQuery.Step) -> [Timestamp] {
        let width: TimeSpan = step == .hour ? .hours(1) : .days(1)
        var buckets: [Timestamp] = []
        var bucket = step == .hour ? start.startOfHour : start.startOfDay
        while bucket <= now || buckets.isEmpty {
            buckets.append(bucket)
            bucket = bucket + width
        }
        return buckets
    }

    /// Spend accumulated from the period's start: zero at the start, the total at each bucket's end, and
    /// the headline spend so far at `now`.
    static func cumulative(
        serviceSeries: [ServiceSeries], buckets: [Timestamp], step: CostQuery.Step, start: Timestamp, now: Timestamp, spendSoFar: Money
    ) -> [CostPoint] {
        let width: TimeSpan = step == .hour ? .hours(1) : .days(1)
        var points = [CostPoint(at: start, amount: .zero)]
        var running = Money.zero
        for (index, bucket) in buckets.enumerated() {
            let end = bucket + width
            guard end < now else { break }
            running = running + serviceSeries.reduce(Money.zero) { $0 + $1.points[index].amount }
            if end > start { points.append(CostPoint(at: end, amount: running)) }
        }
        if now > start { points.append(CostPoint(at: now, amount: spendSoFar)) }
        return points
    }

    static func unpricedNote(_ unpriced: [CostReport.Unpriced]) -> String? {
        guard !unpriced.isEmpty else { return nil }
        let names = unpriced.map(\.resource.rawValue).sorted().joined(separator: ", ")
        return unpriced.count == 1
            ? "1 resource has usage but no rate, so its cost is not counted: \(names)"
            : "\(unpriced.count) resources have usage but no rate, so their cost is not counted: \(names)"
    }
}
