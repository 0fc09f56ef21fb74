import BudgetStore
import Logging
import ServiceLifecycle

/// Keeps this replica's per-tenant ingest limits (`tenant_settings`, set with `PUT …/settings`) as stored:
/// loads them at start and again every `interval`, so a limit set through another replica applies here within
/// that time. Until the first load succeeds every tenant has the default limit.
public struct TenantIngestLimitsService: Service {
    let store: BudgetStore
    let limiter: TenantIngestLimiter
    let interval: Duration
    let logger: Logger

    public init(store: BudgetStore, limiter: TenantIngestLimiter, interval: Duration = .seconds(10), logger: Logger) {
        self.store = store
        self.limiter = limiter
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await repeatUntilShutdown(every: interval, logger: logger, failure: "per-tenant ingest limits not reloaded") { try await refresh() }
    }

    /// Loads every tenant's own limit and replaces this replica's.
    public func refresh() async throws {
        limiter.replaceOverrides(try await store.ingestLimitOverrides())
    }
}
