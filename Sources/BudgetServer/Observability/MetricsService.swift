import BudgetCore
import BudgetStore
import Logging
import ServiceLifecycle

/// Refreshes the gauges read from the database: `cost_estimate` (latest complete hour), the alert outbox's
/// `queue_depth` and `backlog_duration_seconds`, and `budget_spend_ratio`.
public struct MetricsService: Service {
    let store: BudgetStore
    let metrics: BudgetMetrics
    let interval: Duration
    let logger: Logger

    public init(store: BudgetStore, metrics: BudgetMetrics, interval: Duration = .seconds(15), logger: Logger) {
        self.store = store
        self.metrics = metrics
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await repeatUntilShutdown(every: interval, logger: logger, failure: "metrics refresh failed", level: .debug) {
            try await refresh(now: Timestamp.now())
        }
    }

    public func refresh(now: Timestamp) async throws {
        let backlog = try await store.outboxBacklog(now: now)
        metrics.setQueueDepth("alert_outbox", backlog.pending)
        metrics.setBacklogDuration("alert_outbox", seconds: backlog.oldest.totalSeconds)
        var environments: [String: Money] = [:]
        for row in try await store.costPerService(hour: Forecast.latestCompleteHour(at: now)) {
            metrics.setCostEstimate(tenant: row.tenant, environment: row.environment, service: row.service, perHour: row.cost)
            environments["\(row.tenant)\u{1F}\(row.environment)", default: .zero] += row.cost
        }
        for (key, cost) in environments {
            let parts = key.split(separator: "\u{1F}").map(String.init)
            metrics.setCostEstimate(tenant: parts[0], environment: parts[1], service: nil, perHour: cost)
        }
        for ratio in try await store.budgetSpendRatios(now: now) {
            metrics.setBudgetSpendRatio(tenant: ratio.tenant, budget: ratio.budget, ratio: ratio.ratio)
        }
    }
}
