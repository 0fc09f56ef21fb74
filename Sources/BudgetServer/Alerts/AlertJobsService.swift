import BudgetCore
import BudgetStore
import Logging
import ServiceLifecycle

/// The periodic alert work, shared safely between replicas (each job takes an advisory lock):
/// budget thresholds, abnormal growth, resolving quiet cap alerts, and reminders for alerts still firing.
public struct AlertJobsService: Service {
    public struct Settings: Sendable {
        public var interval: Duration = .seconds(60)
        /// A cap alert with no new veto for this long resolves.
        public var capQuietPeriod: TimeSpan = .minutes(15)
        /// A firing, unacknowledged alert is sent again this often.
        public var reminderInterval: TimeSpan = .hours(4)
        /// The abnormal-growth detector's thresholds (relative, absolute, sustain, minimum history).
        public var anomaly = AnomalyConfiguration.standard

        public init() {}
    }

    let store: BudgetStore
    let settings: Settings
    let logger: Logger
    let extraJobs: [@Sendable (Timestamp) async throws -> Void]

    public init(store: BudgetStore, settings: Settings = Settings(), logger: Logger, extraJobs: [@Sendable (Timestamp) async throws -> Void] = []) {
        self.store = store
        self.settings = settings
        self.logger = logger
        self.extraJobs = extraJobs
    }

    private func attempt(_ name: String, _ job: () async throws -> Void) async {
        do {
            try await job()
        } catch {
            logger.warning("alert job failed", metadata: ["job": "\(name)", "error": "\(String(reflecting: error))"])
        }
    }

    public func run() async throws {
        await repeatUntilShutdown(every: settings.interval, logger: logger) { await runOnce(now: Timestamp.now()) }
    }

    /// One round of every job; a failing job is logged and the others still run.
    public func runOnce(now: Timestamp) async {
        await attempt("budgets") { _ = try await store.evaluateBudgets(now: now) }
        await attempt("cap alerts") { _ = try await store.resolveQuietCapAlerts(now: now, quiet: settings.capQuietPeriod) }
        await attempt("reminders") { _ = try await store.sendReminders(now: now, interval: settings.reminderInterval) }
        await attempt("anomalies") { _ = try await store.detectAnomalies(now: now, configuration: settings.anomaly) }
        for job in extraJobs { await attempt("job") { try await job(now) } }
    }
}
