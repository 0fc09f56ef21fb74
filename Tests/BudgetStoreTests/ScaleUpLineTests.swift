import BudgetCore
@testable import BudgetStore
import BudgetTestSupport
import Foundation
import PostgresNIO
import Synchronization
import Testing

@Suite("Scale-ups of one environment wait in line, then share the next transaction", .timeLimit(.minutes(2)))
struct ScaleUpLineTests {
    typealias S = DecisionSetup

    struct Failure: Error {}

    /// A store on a fresh database with acme's prices, policies and a 10.00/h cap on prod.
    static func withStore(
        maximumConnections: Int = 6, lineBound: Duration = .seconds(600), transactionsPerTenant: Int = 4,
        _ body: @escaping @Sendable (BudgetStore, DatabaseURL) async throws -> Void
    ) async throws {
        let url = try await TestDatabase.make()
        let store = BudgetStore(
            url: url, maximumConnections: maximumConnections, acquireTimeout: .seconds(60), scaleUpLineBound: lineBound,
            decisionTransactionsPerTenant: transactionsPerTenant, logger: TestDatabase.testLogger
        )
        try await store.whileRunning {
            try await S.prepare(store)
            try await body(store, url)
        }
    }

    /// A scale-up of acme/prod whose transaction holds the environment until `release` ends (it then fails, so
    /// it writes nothing); returns once it runs.
    static func holdProd(_ store: BudgetStore, until release: AsyncStream<Void>) async -> Task<Void, any Error> {
        await Waiting.holdTransaction(store, environment: "prod", scaleUp: true, until: release)
    }

    @Test("scale-ups wait while a transaction holds their environment, then go together in the order they arrived; others do not wait")
    func lineThenOneTransaction() async throws {
        try await Self.withStore { store, _ in
            let (release, releaseSignal) = AsyncStream<Void>.makeStream()
            let holder = await Self.holdProd(store, until: release)
            #expect(store.decisions.scaleUps(tenant: "acme", environment: "prod") == (true, 0))
            let decisions = try await withThrowingTaskGroup(of: (Int, StoredDecision).self) { group in
                for index in 1...5 {
                    group.addTask {
                        // Services whose alphabetical order is not the order of arrival.
                        let service = ["worker", "web", "api", "worker", "web"][index - 1]
                        return (
                            index,
                            try await store.decide(tenant: "acme", request: S.request("line-\(index)", service: service, from: 2 + index, to: 3 + index), now: S.now)
                        )
                    }
                    // Each arrives only after the one before it is in line.
                    #expect(await Waiting.eventually { store.decisions.scaleUps(tenant: "acme", environment: "prod").waiting == index })
                }
                // A scale-down of the same environment, a scale-up of another, and the same environment's name
                // under another tenant go straight through.
                let down = try await store.decide(tenant: "acme", request: S.request("down", service: "web", from: 5, to: 4), now: S.now)
                #expect(down.transaction == .own)
                let staging = try await store.decide(
                    tenant: "acme",
                    request: DecisionRequest(
                        requestID: "staging", environment: "staging", service: "api", currentReplicas: 2, desiredReplicas: 3,
                        perReplica: ["cpu_cores": 2], signals: []
                    ),
                    now: S.now
                )
                #expect(staging.transaction == .own)
                let beta = try await store.decide(tenant: "beta", request: S.request("beta", to: 3), now: S.now)
                #expect(beta.transaction == .own)
                #expect(store.decisions.scaleUps(tenant: "acme", environment: "prod").waiting == 5)
                releaseSignal.finish()
                return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            try await holder.value
            // One transaction for the five, one after the other in arrival order: each saw the reservations of
            // those before it (0.10/h per replica).
            #expect(store.decisions.counts.batches == 1)
            #expect(store.decisions.counts.batchedDecisions == 5)
            for index in 1...5 {
                let decision = try #require(decisions[index])
                #expect(decision.transaction == .shared)
                #expect(decision.result.outcome == .allow)
                #expect(decision.snapshot.environmentFigures.reservedPerHour == Money(nanos: 100_000_000 * Int64(index - 1)))
                #expect(try decision.replay().identical)
            }
            let live = try await store.liveReservations(tenant: "acme", environment: "prod")
            #expect(live.count == 5)
            #expect(live.runningTotal == live.ratePerHour)
            // Nothing is left behind once the line is empty.
            #expect(await Waiting.eventually { store.decisions.scaleUps(tenant: "acme", environment: "prod") == (false, 0) })
        }
    }

    @Test("a transaction that fails hands the environment on to the next scale-up")
    func failureHandsOn() async throws {
        try await Self.withStore { store, _ in
            await #expect(throws: Failure.self) {
                try await store.decisions.submit(tenant: "acme", environment: "prod", service: "api", scaleUp: true, store: store) { _, _ in
                    throw Failure()
                }
            }
            #expect(await Waiting.eventually { store.decisions.scaleUps(tenant: "acme", environment: "prod") == (false, 0) })
            let next = try await store.decide(tenant: "acme", request: S.request("next", to: 3), now: S.now)
            #expect(next.result.outcome == .allow)
            #expect(next.transaction == .own)
        }
    }

    @Test("a scale-up behind a stuck transaction waits at most the line's bound, and the stuck one keeps the environment")
    func boundedWait() async throws {
        try await Self.withStore(lineBound: .milliseconds(200)) { store, _ in
            let (release, releaseSignal) = AsyncStream<Void>.makeStream()
            let holder = await Self.holdProd(store, until: release)
            // The holder never finishes on its own: this one waits 200 ms, then goes on without the line.
            let decision = try await store.decide(tenant: "acme", request: S.request("behind", to: 3), now: S.now)
            #expect(decision.result.outcome == .allow)
            #expect(decision.transaction == .own)
            // Giving up did not hand the environment on (nor drop it): the holder still holds it.
            #expect(store.decisions.scaleUps(tenant: "acme", environment: "prod") == (true, 0))
            releaseSignal.finish()
            try await holder.value
            #expect(await Waiting.eventually { store.decisions.scaleUps(tenant: "acme", environment: "prod") == (false, 0) })
        }
    }

    /// More scale-ups waited than one transaction takes (`maximumBatch`): those left over wait in the line of the
    /// transaction that took the others, with the same bound.
    @Test("scale-ups left over from a full batch wait at most the line's bound behind it")
    func leftOverFromFullBatch() async throws {
        try await Self.withStore(lineBound: .milliseconds(200), transactionsPerTenant: 2) { store, _ in
            final class Progress: Sendable {
                let stuck = Mutex(true)
                let finished = Mutex(0)
            }
            let progress = Progress()
            let (release1, releaseSignal1) = AsyncStream<Void>.makeStream()
            let (release2, releaseSignal2) = AsyncStream<Void>.makeStream()
            // Both of acme's transaction slots are busy while the scale-ups arrive, so they all wait.
            let slots = [
                await Waiting.holdTransaction(store, until: release1),
                await Waiting.holdTransaction(store, until: release2),
            ]
            let full = store.decisions.maximumBatch
            let blocked = Task {
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<full {
                        group.addTask {
                            // Stuck until the end of the test; then fails, writing nothing.
                            _ = try? await store.decisions.submit(tenant: "acme", environment: "prod", service: "~", scaleUp: true, store: store) { _, _ in
                                while progress.stuck.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
                                throw Waiting.Released()
                            }
                        }
                    }
                }
            }
            #expect(await Waiting.eventually { store.decisions.waiting(tenant: "acme") == full })
            let leftOver = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<2 {
                        group.addTask {
                            let decision = try await store.decide(tenant: "acme", request: S.request("left-\(index)", to: 3), now: S.now)
                            #expect(decision.result.outcome == .allow)
                            progress.finished.withLock { $0 += 1 }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            #expect(await Waiting.eventually { store.decisions.waiting(tenant: "acme") == full + 2 })
            // The slots free up: one transaction takes the first `full` and holds prod, stuck; the two left over
            // go on after the line's bound.
            releaseSignal1.finish()
            releaseSignal2.finish()
            for slot in slots { try await slot.value }
            // A bound, not a figure: the whole suite (Citus nodes and the NAB replay among it) shares two cores.
            #expect(await Waiting.eventually(seconds: 60) { progress.finished.withLock { $0 } == 2 })
            #expect(store.decisions.scaleUps(tenant: "acme", environment: "prod").held)
            progress.stuck.withLock { $0 = false }
            await blocked.value
            try await leftOver.value
            #expect(await Waiting.eventually { store.decisions.scaleUps(tenant: "acme", environment: "prod") == (false, 0) })
        }
    }

    /// The operator-visible failure this prevents: a burst of scale-ups on one environment whose row lock is
    /// held (a slow transaction, another replica) used to take every pooled connection while waiting, so any
    /// other tenant's query waited for a connection too — up to the acquire timeout, then 503.
    @Test("a burst on a locked environment holds one connection; another tenant is served meanwhile; every scale-up completes")
    func burstLeavesPoolFree() async throws {
        try await Self.withStore(maximumConnections: 3) { store, url in
            let holder = BudgetStore(url: url, maximumConnections: 1, acquireTimeout: .seconds(20), logger: TestDatabase.testLogger)
            try await holder.whileRunning {
                _ = try await store.decide(tenant: "acme", request: S.request("first", to: 3), now: S.now)
                let (release, releaseSignal) = AsyncStream<Void>.makeStream()
                // Another replica's transaction holds the environment's row.
                let rowHolder = await Waiting.holdProdRow(holder, until: release)
                let waitingOnLocks = {
                    try await store.count(
                        "SELECT count(*)::int8 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                }
                let reserved = try await withThrowingTaskGroup(of: Int.self) { group in
                    for index in 0..<8 {
                        group.addTask {
                            let decision = try await store.decide(
                                tenant: "acme", request: S.request("burst-\(index)", service: ["api", "web", "worker"][index % 3], from: 3, to: 4),
                                now: S.now
                            )
                            return decision.result.reservedReplicas
                        }
                        // The first reaches PostgreSQL and waits there for the row; the others wait in line.
                        if index == 0 { #expect(try await Waiting.eventually { try await waitingOnLocks() == 1 }) }
                    }
                    #expect(await Waiting.eventually { store.decisions.scaleUps(tenant: "acme", environment: "prod") == (true, 7) })
                    // Still one waiting on the row: the seven in line hold no connection.
                    #expect(try await waitingOnLocks() == 1)
                    // With the row still locked, another tenant's query gets a connection from the same pool.
                    let other = try await store.liveReservations(tenant: "beta", environment: "prod")
                    #expect(other.count == 0)
                    #expect(store.decisions.scaleUps(tenant: "acme", environment: "prod") == (true, 7))
                    releaseSignal.finish()
                    return try await group.reduce(0, +)
                }
                try await rowHolder.value
                #expect(reserved == 8)
                // The seven that waited in line shared one transaction.
                #expect(store.decisions.counts.batches == 1)
                #expect(store.decisions.counts.batchedDecisions == 7)
                let live = try await store.liveReservations(tenant: "acme", environment: "prod")
                #expect(live.count == 9)
                #expect(live.ratePerHour == Money(decimalString: "0.90")!)
                #expect(live.runningTotal == live.ratePerHour)
                #expect(await Waiting.eventually { store.decisions.scaleUps(tenant: "acme", environment: "prod") == (false, 0) })
            }
        }
    }
}
