import BudgetCore
@testable import BudgetStore
import BudgetTestSupport
import Foundation
import PostgresNIO
import Synchronization
import Testing

@Suite("A tenant's concurrent decisions share transactions", .timeLimit(.minutes(2)))
struct DecisionBatcherTests {
    typealias S = DecisionSetup

    final class Finished: Sendable {
        let names = Mutex<[String]>([])
    }

    /// A store that runs one transaction of a tenant's decisions at a time, so that the next one is a batch.
    static func withStore(_ body: @escaping @Sendable (BudgetStore, DatabaseURL) async throws -> Void) async throws {
        try await ScaleUpLineTests.withStore(transactionsPerTenant: 1) { store, url in
            for index in 0..<6 {
                _ = try await store.putConfig(
                    tenant: "acme",
                    ScalingPolicy(environment: "env-\(index)", service: "api", minimumReplicas: 1, maximumReplicas: 1000, scaleUp: .init(cooldownSeconds: 0)),
                    actor: S.actor
                )
            }
            try await body(store, url)
        }
    }

    /// Holds acme's one transaction slot until `release` ends, so that decisions arriving meanwhile wait together.
    static func holdSlot(_ store: BudgetStore, until release: AsyncStream<Void>) async -> Task<Void, any Error> {
        await Waiting.holdTransaction(store, until: release)
    }

    static func request(_ id: String, environment: String, service: String = "api", from current: Int = 2, to desired: Int) -> DecisionRequest {
        DecisionRequest(
            requestID: id, environment: environment, service: service, currentReplicas: current, desiredReplicas: desired,
            perReplica: ["cpu_cores": 2], signals: [Signal(name: "cpu_utilization", value: 0.9)]
        )
    }

    /// Decides `requests` for acme while its one transaction slot is held, so that they all wait together, then
    /// lets them go: they reach the database as one batch (or as the batcher splits them).
    static func decideTogether(_ store: BudgetStore, _ requests: [DecisionRequest]) async throws -> [StoredDecision] {
        let (release, releaseSignal) = AsyncStream<Void>.makeStream()
        let holder = await holdSlot(store, until: release)
        let decisions = try await withThrowingTaskGroup(of: StoredDecision.self) { group in
            for request in requests {
                group.addTask { try await store.decide(tenant: "acme", request: request, now: S.now) }
            }
            #expect(await Waiting.eventually { store.decisions.waiting(tenant: "acme") == requests.count })
            releaseSignal.finish()
            return try await group.reduce(into: [StoredDecision]()) { $0.append($1) }
        }
        try await holder.value
        return decisions
    }

    @Test("decisions that arrive while the tenant's transaction is busy share the next one, each with its own answer")
    func batchForms() async throws {
        try await Self.withStore { store, _ in
            let decisions = try await Self.decideTogether(
                store, (0..<6).map { Self.request("batch-\($0)", environment: "env-\($0)", to: 3 + $0) }
            )
            #expect(store.decisions.counts == .init(batches: 1, batchedDecisions: 6, rerunAlone: 0))
            #expect(decisions.count == 6)
            for decision in decisions {
                let index = Int(decision.request.environment.dropFirst(4))!
                #expect(decision.result.outcome == .allow)
                #expect(decision.transaction == .shared)
                #expect(decision.result.reservedReplicas == 1 + index)
                #expect(try decision.replay().identical)
                let live = try await store.liveReservations(tenant: "acme", environment: decision.request.environment)
                #expect(live.count == 1)
                #expect(live.runningTotal == live.ratePerHour)
                #expect(live.ratePerHour == Money(nanos: 100_000_000 * Int64(1 + index)))
                let stored = try await store.decision(tenant: "acme", id: decision.id)
                #expect(stored.resultJSON == decision.resultJSON)
            }
        }
    }

    /// Both fit alone, not together. Had they read their snapshots before either wrote, both would be approved
    /// in full and the environment would overspend its cap.
    @Test("two scale-ups of one environment in one batch: the second sees the first's reservation")
    func twoScaleUpsOfOneEnvironment() async throws {
        try await Self.withStore { store, _ in
            // 10.00/h cap, 0.10 per replica: +50 and +60 replicas do not both fit.
            let decisions = try await Self.decideTogether(store, [S.request("up-a", to: 52), S.request("up-b", service: "web", to: 62)])
            #expect(store.decisions.counts == .init(batches: 1, batchedDecisions: 2, rerunAlone: 0))
            // In order of arrival: the first is allowed in full, the second sees its reservation and is clamped
            // to the headroom left.
            #expect(decisions.map(\.result.reservedReplicas).reduce(0, +) == 100)
            let first = try #require(decisions.first { $0.result.outcome == .allow })
            let second = try #require(decisions.first { $0.result.outcome == .clamp })
            #expect(first.snapshot.environmentFigures.reservedPerHour == .zero)
            #expect(second.snapshot.environmentFigures.reservedPerHour == Money(nanos: Int64(first.result.reservedReplicas) * 100_000_000))  // 0.10/h a replica
            let live = try await store.liveReservations(tenant: "acme", environment: "prod")
            #expect(live.ratePerHour == Money(decimalString: "10.00")!)
            #expect(live.runningTotal == live.ratePerHour)
        }
    }

    @Test("a request_id repeated inside a batch: the batch runs again alone; the repeat gets the first answer, the others theirs")
    func repeatedRequestInBatch() async throws {
        try await Self.withStore { store, _ in
            let hold = S.request("same", from: 3, to: 3)
            let decisions = try await Self.decideTogether(store, [hold, hold, Self.request("other", environment: "env-1", to: 4)])
            #expect(store.decisions.counts == .init(batches: 0, batchedDecisions: 0, rerunAlone: 3))
            let same = decisions.filter { $0.request.requestID == "same" }
            #expect(same.count == 2)
            #expect(Set(same.map(\.id)).count == 1)
            #expect(same.filter(\.repeated).count == 1)
            let other = try #require(decisions.first { $0.request.requestID == "other" })
            #expect(other.result.reservedReplicas == 2)
            #expect(other.transaction == .ownAfterSharedFailed)
            #expect(try await store.liveReservations(tenant: "acme", environment: "env-1").count == 1)
            #expect(try await store.count("SELECT count(*)::int8 FROM decisions WHERE tenant_id = 'acme'") == 2)
        }
    }

    /// Another replica (or a release) holding one environment's row must not stall the tenant's other
    /// environments for longer than the batch's lock timeout.
    @Test("a batch that meets a locked environment gives up after its lock timeout; the other decisions complete meanwhile")
    func lockedEnvironmentDoesNotHoldOthers() async throws {
        try await Self.withStore { store, url in
            let holder = BudgetStore(url: url, maximumConnections: 1, acquireTimeout: .seconds(20), logger: TestDatabase.testLogger)
            try await holder.whileRunning {
                _ = try await store.decide(tenant: "acme", request: S.request("first", to: 3), now: S.now)
                let (unlock, unlockSignal) = AsyncStream<Void>.makeStream()
                let (release, releaseSignal) = AsyncStream<Void>.makeStream()
                let finished = Finished()
                let rowHolder = await Waiting.holdProdRow(holder, until: unlock)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    let slot = await Self.holdSlot(store, until: release)
                    group.addTask {
                        _ = try await store.decide(tenant: "acme", request: S.request("locked", to: 4), now: S.now)
                        finished.names.withLock { $0.append("prod") }
                    }
                    for index in 1...2 {
                        group.addTask {
                            _ = try await store.decide(tenant: "acme", request: Self.request("free-\(index)", environment: "env-\(index)", to: 3), now: S.now)
                            finished.names.withLock { $0.append("env-\(index)") }
                        }
                    }
                    #expect(await Waiting.eventually { store.decisions.waiting(tenant: "acme") == 3 })
                    releaseSignal.finish()
                    try await slot.value
                    // The batch waits for prod's row for its lock timeout, then each runs alone: the free ones finish.
                    #expect(await Waiting.eventually { Set(finished.names.withLock { $0 }) == ["env-1", "env-2"] })
                    unlockSignal.finish()
                    try await group.waitForAll()
                }
                try await rowHolder.value
                #expect(Set(finished.names.withLock { $0 }) == ["prod", "env-1", "env-2"])
                #expect(store.decisions.counts.rerunAlone == 3)
                let live = try await store.liveReservations(tenant: "acme", environment: "prod")
                #expect(live.count == 2)
                #expect(live.runningTotal == live.ratePerHour)
            }
        }
    }

    /// The batch's lock timeout comes with each decision's first read (migration 017), not a statement of its
    /// own; the eight-argument call a replica of the previous version makes still works and sets none.
    @Test("a decision's first read sets the shared transaction's lock timeout until it ends; the previous call sets none")
    func lockTimeoutFromFirstRead() async throws {
        try await Self.withStore { store, _ in
            let logger = TestDatabase.testLogger
            try await store.client.withConnection { connection in
                func lockTimeout() async throws -> String {
                    for try await value in try await connection.query("SELECT current_setting('lock_timeout')", logger: logger).decode(String.self) {
                        return value
                    }
                    return "none"
                }
                let before = try await lockTimeout()
                try await connection.perform("BEGIN", logger: logger)
                try await connection.perform(
                    "SELECT * FROM chartly_begin_decision('acme', 'env-1', 'api', 2, now(), date_trunc('hour', now()), true, 0)", logger: logger
                )
                #expect(try await lockTimeout() == before)
                try await connection.perform(
                    "SELECT * FROM chartly_begin_decision('acme', 'env-1', 'api', 2, now(), date_trunc('hour', now()), true, 0, '100ms')",
                    logger: logger
                )
                #expect(try await lockTimeout() == "100ms")
                try await connection.perform("SELECT count(*) FROM environment_state", logger: logger)
                #expect(try await lockTimeout() == "100ms")
                try await connection.perform("COMMIT", logger: logger)
                #expect(try await lockTimeout() == before)
            }
        }
    }

    struct Own: Error {}

    /// Run alone, each would most likely have met the same unavailable database: no second round of attempts
    /// (each waiting up to the acquire timeout again) before the callers get their 503.
    @Test("a batch that fails on an unavailable database fails each of its decisions with that error, without running them again")
    func unavailableFailsTheBatch() async throws {
        try await Self.withStore { store, _ in
            let (release, releaseSignal) = AsyncStream<Void>.makeStream()
            let holder = await Self.holdSlot(store, until: release)
            let errors = await withTaskGroup(of: (any Error)?.self) { group in
                for index in 0..<3 {
                    group.addTask {
                        do {
                            _ = try await store.decisions.submit(tenant: "acme", environment: "env-\(index)", service: "api", store: store) { _, _ in
                                if index == 0 { throw StoreError.unavailable("the test's connection is gone") }
                                throw Own()
                            }
                            return nil
                        } catch {
                            return error
                        }
                    }
                }
                #expect(await Waiting.eventually { store.decisions.waiting(tenant: "acme") == 3 })
                releaseSignal.finish()
                return await group.reduce(into: [(any Error)?]()) { $0.append($1) }
            }
            try await holder.value
            #expect(errors.count == 3)
            for error in errors {
                #expect((error as? StoreError)?.kind == .unavailable, "\(String(describing: error))")
            }
            #expect(store.decisions.counts.rerunAlone == 0)
        }
    }

    @Test("another tenant's decision does not wait for a tenant's busy transaction")
    func otherTenantsDoNotWait() async throws {
        try await Self.withStore { store, _ in
            let (release, releaseSignal) = AsyncStream<Void>.makeStream()
            let holder = await Self.holdSlot(store, until: release)
            let other = try await store.decide(tenant: "beta", request: S.request("beta-1", from: 2, to: 2), now: S.now)
            #expect(other.request.requestID == "beta-1")
            #expect(other.transaction == .own)
            #expect(store.decisions.waiting(tenant: "acme") == 0)
            releaseSignal.finish()
            try await holder.value
        }
    }
}
