import Logging
import PostgresNIO
import Synchronization

/// Decisions of one tenant that arrive together share one transaction (group commit), and scale-ups of one
/// environment wait in line for it.
///
/// A decision is two statements (the snapshot, which locks the environment for a scale-up, and the record)
/// inside `BEGIN` … `COMMIT`. One transaction each costs a busy tenant two more round trips, a commit and a WAL
/// flush per decision. Here at most `maximumInFlight` transactions of one tenant's decisions run at once;
/// decisions that arrive meanwhile wait, and the next transaction takes all of them (up to `maximumBatch`), each
/// with its own two statements, in order of environment (so that every batch takes its environments' row locks
/// in the same order) and, within one, of arrival. A lone decision runs at once in a transaction of its own,
/// exactly as without batching. Other tenants never share a transaction or wait for one: the limit is per tenant.
///
/// - **Scale-ups of one environment wait in line.** A scale-up locks its environment's row in PostgreSQL (that
///   lock is what keeps two replicas of the service from spending the same headroom). Only one transaction at
///   a time holds an environment's scale-ups in this process; scale-ups of it that arrive meanwhile wait here,
///   without a connection, and the next transaction takes all of them, one after the other under one row lock
///   and one commit. Without the line, a burst on one busy environment would take a pooled connection per
///   scale-up only to wait on that row lock, and every other tenant would wait for a connection.
/// - The line is an optimisation, never a new way to get stuck: a scale-up that has waited `maximumLineWait`
///   (the transaction ahead of it stuck on a dead connection, say) goes on without the line, where the row lock
///   still decides the order.
/// - The decisions of a batch run one after the other, each with its own snapshot and record statements, so
///   each sees what the ones before it wrote: a scale-up sees the reservation of one just before it in the same
///   batch as it would see a committed one.
/// - A batch waits at most `lockTimeout` for a row lock (another replica's scale-up of the same environment,
///   a release), so one locked environment cannot hold up the tenant's other environments for longer. Each
///   decision's first statement sets it (no round trip of its own: `Work`'s second argument).
/// - If a batch fails for any other reason than an unavailable database (a reused `request_id`, that lock
///   timeout, a deadlock), each of its decisions runs again in a transaction of its own — an environment's
///   scale-ups still one at a time — so every decision gets the answer or the error it would have had without
///   batching.
final class DecisionBatcher: Sendable {
    /// A decision's statements on the transaction's connection. The second argument is the `lock_timeout` its
    /// first statement must set for the rest of the transaction (`100ms`), or nil in a transaction of its own.
    typealias Work = @Sendable (PostgresConnection, _ lockTimeout: String?) async throws -> StoredDecision

    struct Item: Sendable {
        /// Arrival order.
        var id: UInt64
        var environment: String
        var service: String
        /// A scale-up holds its environment while its transaction runs (unless `overdue`).
        var scaleUp: Bool
        var work: Work
        var continuation: CheckedContinuation<StoredDecision, any Error>
        /// A scale-up that waited `maximumLineWait` for its environment: it goes on without holding it.
        var overdue = false
        /// Ends a scale-up's wait in line after `maximumLineWait`.
        var timer: Task<Void, Never>? = nil

        /// Holds its environment while its transaction runs.
        var holds: Bool { scaleUp && !overdue }
    }

    private struct Tenant {
        var waiting: [Item] = []
        var inFlight = 0
        /// Environments whose scale-ups a running transaction holds.
        var held: Set<String> = []
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
    /// Arrival order, across tenants and for the batcher's life (a tenant's entry goes when it is idle, and a
    /// late line timer must never find a newer item under an old id).
    private let lastID = Atomic<UInt64>(0)
    private let tally = Mutex(Counts())
    let maximumInFlight: Int
    let maximumBatch: Int
    let lockTimeout: Duration
    let maximumLineWait: Duration
    private let logger: Logger?

    init(
        maximumInFlight: Int, maximumBatch: Int = 32, lockTimeout: Duration = .milliseconds(100), maximumLineWait: Duration = .seconds(2),
        logger: Logger? = nil
    ) {
        precondition(maximumInFlight >= 1 && maximumBatch >= 1)
        self.maximumInFlight = maximumInFlight
        self.maximumBatch = maximumBatch
        self.lockTimeout = lockTimeout
        self.maximumLineWait = maximumLineWait
        self.logger = logger
    }

    var counts: Counts { tally.withLock { $0 } }

    /// Decisions of the tenant waiting for a transaction (for tests).
    func waiting(tenant: String) -> Int {
        tenants.withLock { $0[tenant]?.waiting.count ?? 0 }
    }

    /// Scale-ups of the environment in a running transaction or waiting for one (for tests).
    func scaleUps(tenant: String, environment: String) -> (held: Bool, waiting: Int) {
        tenants.withLock { tenants in
            guard let state = tenants[tenant] else { return (false, 0) }
            return (state.held.contains(environment), state.waiting.count { $0.scaleUp && $0.environment == environment })
        }
    }

    /// Runs `work` in a transaction, alone or with other decisions of the tenant; a scale-up (`scaleUp`) first
    /// waits for any running transaction that holds its environment.
    func submit(
        tenant: String, environment: String, service: String, scaleUp: Bool = false, store: BudgetStore, _ work: @escaping Work
    ) async throws -> StoredDecision {
        try await withCheckedThrowingContinuation { continuation in
            let start = tenants.withLock { tenants -> Bool in
                var state = tenants[tenant, default: Tenant()]
                defer { tenants[tenant] = state }
                let id = lastID.add(1, ordering: .relaxed).newValue
                var item = Item(id: id, environment: environment, service: service, scaleUp: scaleUp, work: work, continuation: continuation)
                let inLine = scaleUp && state.held.contains(environment)
                if inLine { item.timer = lineTimer(tenant: tenant, id: id, store: store) }
                state.waiting.append(item)
                // A scale-up in line is taken by the transaction that holds its environment, when that one ends.
                guard !inLine, state.inFlight < maximumInFlight else { return false }
                state.inFlight += 1
                return true
            }
            if start { Task { await self.drain(tenant: tenant, store: store) } }
        }
    }

    /// Runs transactions of the tenant's waiting decisions until none can run.
    private func drain(tenant: String, store: BudgetStore) async {
        var held: Set<String> = []
        while let batch = next(tenant, releasing: held, store: store) {
            held = Set(batch.lazy.filter(\.holds).map(\.environment))
            await run(batch, store: store)
        }
    }

    /// Releases the environments the last batch held and returns the next batch: the waiting decisions that can
    /// run, in arrival order — with a scale-up, every waiting scale-up of its environment. Nil (and one fewer in
    /// flight) when none can.
    private func next(_ tenant: String, releasing released: Set<String>, store: BudgetStore) -> [Item]? {
        let batch = tenants.withLock { tenants -> [Item] in
            guard var state = tenants[tenant] else { return [] }
            state.held.subtract(released)
            var batch: [Item] = []
            var rest: [Item] = []
            var taking: Set<String> = []
            for item in state.waiting {
                let free = !item.holds || !state.held.contains(item.environment) || taking.contains(item.environment)
                guard free, batch.count < maximumBatch else {
                    rest.append(item)
                    continue
                }
                if item.holds, taking.insert(item.environment).inserted { state.held.insert(item.environment) }
                batch.append(item)
            }
            // Scale-ups of an environment this batch now holds that did not fit in it (more than `maximumBatch`
            // waited) start waiting in its line now.
            for index in rest.indices where rest[index].holds && rest[index].timer == nil && taking.contains(rest[index].environment) {
                rest[index].timer = lineTimer(tenant: tenant, id: rest[index].id, store: store)
            }
            state.waiting = rest
            if batch.isEmpty { state.inFlight -= 1 }
            tenants[tenant] = state.inFlight == 0 && state.waiting.isEmpty && state.held.isEmpty ? nil : state
            return batch
        }
        for item in batch { item.timer?.cancel() }
        return batch.isEmpty ? nil : batch
    }

    /// Ends a scale-up's wait in its environment's line after `maximumLineWait` (cancelled when a transaction
    /// takes it).
    private func lineTimer(tenant: String, id: UInt64, store: BudgetStore) -> Task<Void, Never> {
        let wait = maximumLineWait
        return Task {
            guard (try? await Task.sleep(for: wait)) != nil else { return }  // cancelled: a transaction took it
            self.lineWaitEnded(tenant: tenant, id: id, store: store)
        }
    }

    /// A scale-up waited `maximumLineWait` behind a transaction that holds its environment: it goes on without
    /// the line (the transaction ahead keeps the environment).
    private func lineWaitEnded(tenant: String, id: UInt64, store: BudgetStore) {
        let (found, start) = tenants.withLock { tenants -> (Bool, Bool) in
            guard var state = tenants[tenant], let index = state.waiting.firstIndex(where: { $0.id == id }) else { return (false, false) }
            defer { tenants[tenant] = state }
            state.waiting[index].overdue = true
            guard state.inFlight < maximumInFlight else { return (true, false) }
            state.inFlight += 1
            return (true, true)
        }
        guard found else { return }
        logger?.warning(
            "a scale-up waited \(maximumLineWait) behind another of its environment and goes to the database without waiting longer",
            metadata: ["tenant": "\(tenant)"]
        )
        if start { Task { await self.drain(tenant: tenant, store: store) } }
    }

    private func run(_ batch: [Item], store: BudgetStore) async {
        guard batch.count > 1 else {
            await Self.alone(batch[0], store: store)
            return
        }
        let ordered = batch.sorted { ($0.environment, $0.id) < ($1.environment, $1.id) }
        let works = ordered.map(\.work)
        let lockTimeout = "\(max(1, lockTimeout.components.seconds * 1000 + lockTimeout.components.attoseconds / 1_000_000_000_000_000))ms"
        let logger = store.logger
        do {
            let results = try await store.transaction("decide", attempts: 1) { connection in
                var results: [StoredDecision] = []
                results.reserveCapacity(works.count)
                // Every decision sets the timeout before its lock; the first one's already bounds the rest.
                for work in works { results.append(try await work(connection, lockTimeout)) }
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
            // failed batch must not take the pool. The scale-ups of an environment (still this batch's) one
            // after the other, as in line.
            var lanes: [[Item]] = []
            var laneOfEnvironment: [String: Int] = [:]
            for item in ordered {
                if item.holds, let lane = laneOfEnvironment[item.environment] {
                    lanes[lane].append(item)
                    continue
                }
                if item.holds { laneOfEnvironment[item.environment] = lanes.count }
                lanes.append([item])
            }
            let atOnce = max(4, maximumInFlight)
            await withTaskGroup(of: Void.self) { group in
                for (index, lane) in lanes.enumerated() {
                    if index >= atOnce { await group.next() }
                    group.addTask {
                        for item in lane { await Self.alone(item, store: store, after: .ownAfterSharedFailed) }
                    }
                }
            }
        }
    }

    private static func alone(_ item: Item, store: BudgetStore, after kind: DecisionTransaction = .own) async {
        do {
            var decision = try await store.transaction("decide") { connection in try await item.work(connection, nil) }
            decision.transaction = kind
            item.continuation.resume(returning: decision)
        } catch {
            item.continuation.resume(throwing: error)
        }
    }
}
