import Logging
import PostgresNIO
import Synchronization

/// Decisions of one tenant that arrive together share one transaction (group commit).
///
/// A decision is two statements (the snapshot, which locks the environment for a scale-up, and the record)
/// inside `BEGIN` … `COMMIT`. One transaction each costs a busy tenant two more round trips, a commit and a WAL
/// flush per decision. Here at most `maximumInFlight` transactions of one tenant's decisions run at once;
/// decisions that arrive meanwhile wait, and the next transaction takes all of them (up to `maximumBatch`), each
/// with its own two statements, in order of environment and service so that every batch takes its row locks in
/// the same order. A lone decision runs at once in a transaction of its own, exactly as without batching. Other
/// tenants never share a transaction or wait for one: the limit is per tenant.
///
/// - The decisions of a batch run one after the other, each with its own snapshot and record statements, so
///   each sees what the ones before it wrote: a scale-up sees the reservation of one just before it in the same
///   batch as it would see a committed one.
/// - A batch waits at most `lockTimeout` for a row lock (another replica's scale-up of the same environment,
///   a release), so one locked environment cannot hold up the tenant's other environments for longer.
/// - If a batch fails for any other reason than an unavailable database (a reused `request_id`, that lock
///   timeout, a deadlock), each of its decisions runs again in a transaction of its own: every decision gets the
///   answer or the error it would have had without batching.
final class DecisionBatcher: Sendable {
    typealias Work = @Sendable (PostgresConnection) async throws -> StoredDecision

    struct Item: Sendable {
        var environment: String
        var service: String
        var work: Work
        var continuation: CheckedContinuation<StoredDecision, any Error>
    }

    private struct Tenant {
        var waiting: [Item] = []
        var inFlight = 0
    }

    /// What the batcher did (for tests).
    struct Counts: Sendable, Equatable {
        /// Transactions that carried more than one decision, and how many decisions they carried.
        var batches = 0
        var batchedDecisions = 0
        /// Decisions run again alone after their batch failed.
        var rerunAlone = 0
    }

    private let tenants = Mutex([String: Tenant]())
    private let tally = Mutex(Counts())
    let maximumInFlight: Int
    let maximumBatch: Int
    let lockTimeout: Duration

    init(maximumInFlight: Int, maximumBatch: Int = 32, lockTimeout: Duration = .milliseconds(100)) {
        precondition(maximumInFlight >= 1 && maximumBatch >= 1)
        self.maximumInFlight = maximumInFlight
        self.maximumBatch = maximumBatch
        self.lockTimeout = lockTimeout
    }

    var counts: Counts { tally.withLock { $0 } }

    /// Decisions of the tenant waiting for a transaction (for tests).
    func waiting(tenant: String) -> Int {
        tenants.withLock { $0[tenant]?.waiting.count ?? 0 }
    }

    /// Runs `work` in a transaction, alone or with other decisions of the tenant.
    func submit(
        tenant: String, environment: String, service: String, store: BudgetStore, _ work: @escaping Work
    ) async throws -> StoredDecision {
        try await withCheckedThrowingContinuation { continuation in
            let item = Item(environment: environment, service: service, work: work, continuation: continuation)
            let start = tenants.withLock { tenants -> Bool in
                tenants[tenant, default: Tenant()].waiting.append(item)
                guard tenants[tenant]!.inFlight < maximumInFlight else { return false }
                tenants[tenant]!.inFlight += 1
                return true
            }
            if start { Task { await self.drain(tenant: tenant, store: store) } }
        }
    }

    /// Runs transactions of the tenant's waiting decisions until none waits.
    private func drain(tenant: String, store: BudgetStore) async {
        while let batch = next(tenant) {
            await run(batch, store: store)
        }
    }

    /// The next batch, or nil (and one fewer in flight) when nothing waits.
    private func next(_ tenant: String) -> [Item]? {
        tenants.withLock { tenants -> [Item]? in
            guard var state = tenants[tenant] else { return nil }
            guard !state.waiting.isEmpty else {
                state.inFlight -= 1
                tenants[tenant] = state.inFlight == 0 ? nil : state
                return nil
            }
            let batch = Array(state.waiting.prefix(maximumBatch))
            state.waiting.removeFirst(batch.count)
            tenants[tenant] = state
            return batch
        }
    }

    private func run(_ batch: [Item], store: BudgetStore) async {
        guard batch.count > 1 else {
            await Self.alone(batch[0], store: store)
            return
        }
        let ordered = batch.sorted { ($0.environment, $0.service) < ($1.environment, $1.service) }
        let works = ordered.map(\.work)
        let lockTimeout = "\(max(1, lockTimeout.components.seconds * 1000 + lockTimeout.components.attoseconds / 1_000_000_000_000_000))ms"
        let logger = store.logger
        do {
            let results = try await store.transaction("decide", attempts: 1) { connection in
                try await connection.perform("SELECT set_config('lock_timeout', \(lockTimeout), true)", logger: logger)
                var results: [StoredDecision] = []
                results.reserveCapacity(works.count)
                for work in works { results.append(try await work(connection)) }
                return results
            }
            tally.withLock { $0.batches += 1; $0.batchedDecisions += ordered.count }
            for (item, result) in zip(ordered, results) {
                var shared = result
                shared.transaction = .shared
                item.continuation.resume(returning: shared)
            }
        } catch let error as StoreError where error.kind == .unavailable {
            // No connection, or it was lost: alone, each would most likely have failed the same way.
            for item in ordered { item.continuation.resume(throwing: error) }
        } catch {
            logger.debug("a batch of decisions failed; each runs again alone", metadata: ["decisions": "\(ordered.count)", "error": "\(error)"])
            tally.withLock { $0.rerunAlone += ordered.count }
            // A few at once (one waiting for a locked row does not hold up the others), not all: a large
            // failed batch must not take the pool.
            let atOnce = max(4, maximumInFlight)
            await withTaskGroup(of: Void.self) { group in
                for (index, item) in ordered.enumerated() {
                    if index >= atOnce { await group.next() }
                    group.addTask { await Self.alone(item, store: store, after: .ownAfterSharedFailed) }
                }
            }
        }
    }

    private static func alone(_ item: Item, store: BudgetStore, after kind: DecisionTransaction = .own) async {
        do {
            var decision = try await store.transaction("decide", item.work)
            decision.transaction = kind
            item.continuation.resume(returning: decision)
        } catch {
            item.continuation.resume(throwing: error)
        }
    }
}
