import BudgetCore
import BudgetStore
import Logging
import ServiceLifecycle

/// Partition look-ahead and retention, at start and then every `interval`. Safe with several replicas:
/// partition creation is serialised in the database, and each dropped partition has its own advisory lock.
public struct MaintenanceService: Service {
    public struct Settings: Sendable {
        public var interval: Duration = .seconds(3600)
        /// Days of raw-usage partitions created ahead of today.
        public var lookAheadDays = 2

        public init() {}
    }

    let store: BudgetStore
    let settings: Settings
    let logger: Logger

    public init(store: BudgetStore, settings: Settings = Settings(), logger: Logger) {
        self.store = store
        self.settings = settings
        self.logger = logger
    }

    public func run() async throws {
        await repeatUntilShutdown(every: settings.interval, logger: logger) { await runOnce(now: Timestamp.now()) }
    }

    public func runOnce(now: Timestamp) async {
        do {
            let created = try await store.createPartitionsAhead(now: now, days: settings.lookAheadDays)
            if created > 0 { logger.info("partitions created ahead", metadata: ["created": "\(created)"]) }
        } catch {
            logger.warning("partition look-ahead failed", metadata: ["error": "\(String(reflecting: error))"])
        }
        do {
            let report = try await store.applyRetention(now: now)
            for dropped in report.dropped {
                logger.info("retention dropped a partition", metadata: ["tenant": "\(dropped.tenant)", "table": "\(dropped.parent)", "partition": "\(dropped.name)"])
            }
        } catch {
            logger.warning("retention failed", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}
