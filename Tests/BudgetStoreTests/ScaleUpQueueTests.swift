import BudgetCore
@testable import BudgetStore
import BudgetTestSupport
import Foundation
import PostgresNIO
import Synchronization
import Testing

@Suite("Scale-ups of one environment wait in line before taking a connection", .timeLimit(.minutes(2)))
struct ScaleUpQueueTests {
    typealias S = DecisionSetup

    final class Record: Sendable {
        let order = Mutex<[Int]>([])
        let running = Mutex(0)
        let mostAtOnce = Mutex(0)
    }

    /// Starts a scale-up of acme/prod that records 0 once it holds the environment, keeps it until `release`
    /// finishes, then records `last`; returns once it holds the environment.
    static func hold(
        _ queue: ScaleUpQueue, _ record: Record, until release: AsyncStream<Void>, recordingAtEnd last: Int? = nil,
        in group: inout ThrowingTaskGroup<Void, any Error>
    ) async throws {
        group.addTask {
            try await queue.run(tenant: "acme", environment: "prod") {
                record.order.withLock { $0.append(0) }
                for await _ in release { break }
                if let last { record.order.withLock { $0.append(last) } }
            }
        }
        #expect(await Waiting.eventually { record.order.withLock { $0 } == [0] })
    }

    @Test("waiting scale-ups run one at a time, in the order they arrived; other environments do not wait")
    func firstComeFirstServed() async throws {
        // A bound far above what a loaded machine takes here, so nobody leaves the line early.
        let queue = ScaleUpQueue(maximumWait: .seconds(600))
        let record = Record()
        let (release, releaseSignal) = AsyncStream<Void>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            // The first holds the environment until released.
            try await Self.hold(queue, record, until: release, in: &group)
            for index in 1...5 {
                group.addTask {
                    try await queue.run(tenant: "acme", environment: "prod") {
                        let now = record.running.withLock { $0 += 1; return $0 }
                        record.mostAtOnce.withLock { $0 = max($0, now) }
                        record.order.withLock { $0.append(index) }
                        await Task.yield()
                        record.running.withLock { $0 -= 1 }
                    }
                }
                // Each arrives only after the one before it is in line.
                #expect(await Waiting.eventually { queue.depth(tenant: "acme", environment: "prod") == index + 1 })
            }
            // Another environment, and the same environment's name under another tenant, go straight through.
            try await queue.run(tenant: "acme", environment: "staging") { record.order.withLock { $0.append(100) } }
            try await queue.run(tenant: "beta", environment: "prod") { record.order.withLock { $0.append(200) } }
            #expect(record.order.withLock { $0 } == [0, 100, 200])
            releaseSignal.finish()
            try await group.waitForAll()
        }
        #expect(record.order.withLock { $0 } == [0, 100, 200, 1, 2, 3, 4, 5])
        #expect(record.mostAtOnce.withLock { $0 } == 1)
        // Nothing is left behind for an environment once its line is empty.
        #expect(queue.depth(tenant: "acme", environment: "prod") == 0)
        // A decision that is not a scale-up (no environment) never waits.
        let ran = try await queue.run(tenant: "acme", environment: nil) { true }
        #expect(ran)
    }

    @Test("a body that throws hands the environment on to the next scale-up")
    func failureHandsOn() async throws {
        struct Failure: Error {}
        let queue = ScaleUpQueue()
        await #expect(throws: Failure.self) {
            try await queue.run(tenant: "acme", environment: "prod") { throw Failure() }
        }
        #expect(queue.depth(tenant: "acme", environment: "prod") == 0)
        let value = try await queue.run(tenant: "acme", environment: "prod") { 7 }
        #expect(value == 7)
    }

    @Test("a scale-up stuck at the head of the line holds the others up for at most the line's bound, and keeps the environment")
    func boundedWait() async throws {
        let queue = ScaleUpQueue(maximumWait: .milliseconds(200))
        let record = Record()
        let (release, releaseSignal) = AsyncStream<Void>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            try await Self.hold(queue, record, until: release, recordingAtEnd: 9, in: &group)
            // The head never finishes on its own: the next one waits its 200 ms, then runs without the line.
            try await queue.run(tenant: "acme", environment: "prod") { record.order.withLock { $0.append(1) } }
            #expect(record.order.withLock { $0 } == [0, 1])
            // Giving up did not hand the environment on (nor drop it): the head still holds it.
            #expect(queue.depth(tenant: "acme", environment: "prod") == 1)
            releaseSignal.finish()
            try await group.waitForAll()
        }
        #expect(record.order.withLock { $0 } == [0, 1, 9])
        #expect(queue.depth(tenant: "acme", environment: "prod") == 0)
    }

    /// The operator-visible failure this prevents: a burst of scale-ups on one environment whose row lock is
    /// held (a slow transaction, another replica) used to take every pooled connection while waiting, so any
    /// other tenant's query waited for a connection too — up to the acquire timeout, then 503.
    @Test("a burst on a locked environment holds one connection; another tenant is served meanwhile; every scale-up completes")
    func burstLeavesPoolFree() async throws {
        let url = try await TestDatabase.make()
        // The line's bound well above anything a loaded machine takes here, so nobody leaves the line early.
        let store = BudgetStore(
            url: url, maximumConnections: 3, acquireTimeout: .seconds(20), scaleUpLineBound: .seconds(60), logger: TestDatabase.testLogger
        )
        let holder = BudgetStore(url: url, maximumConnections: 1, acquireTimeout: .seconds(20), logger: TestDatabase.testLogger)
        try await store.whileRunning {
            try await holder.whileRunning {
                try await S.prepare(store)  // 10.00/h: 100 replicas of 0.10/h
                _ = try await store.decide(tenant: "acme", request: S.request("first", to: 3), now: S.now)
                let (release, releaseSignal) = AsyncStream<Void>.makeStream()
                // Another replica's transaction holds the environment's row.
                let rowHolder = await Waiting.holdProdRow(holder, until: release)
                let reserved = try await withThrowingTaskGroup(of: Int.self) { group in
                    for index in 0..<8 {
                        group.addTask {
                            let decision = try await store.decide(
                                tenant: "acme", request: S.request("burst-\(index)", service: ["api", "web", "worker"][index % 3], from: 3, to: 4),
                                now: S.now
                            )
                            return decision.result.reservedReplicas
                        }
                    }
                    // All eight in line: one in PostgreSQL waiting for the row, seven before taking a connection.
                    #expect(await Waiting.eventually { store.scaleUps.depth(tenant: "acme", environment: "prod") == 8 })
                    // The head of the line reaches the row lock once it has its connection and has begun.
                    let waitingOnLocks = {
                        try await store.count(
                            "SELECT count(*)::int8 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
                        )
                    }
                    #expect(try await Waiting.eventually { try await waitingOnLocks() == 1 })
                    #expect(store.scaleUps.depth(tenant: "acme", environment: "prod") == 8)
                    // With the row still locked, another tenant's query gets a connection from the same pool.
                    let other = try await store.liveReservations(tenant: "beta", environment: "prod")
                    #expect(other.count == 0)
                    releaseSignal.finish()
                    return try await group.reduce(0, +)
                }
                try await rowHolder.value
                #expect(reserved == 8)
                let live = try await store.liveReservations(tenant: "acme", environment: "prod")
                #expect(live.count == 9)
                #expect(live.ratePerHour == Money(decimalString: "0.90")!)
                #expect(live.runningTotal == live.ratePerHour)
                #expect(store.scaleUps.depth(tenant: "acme", environment: "prod") == 0)
            }
        }
    }
}
