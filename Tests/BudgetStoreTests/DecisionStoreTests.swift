import BudgetCore
import BudgetStore
import BudgetTestSupport
import Foundation
import PostgresNIO
import Testing

/// A tenant with prices, a policy and a cap, at a fixed clock: 2026-11-16T00:30:00Z.
enum DecisionSetup {
    static let actor = Principal(id: "test", name: "test", scopes: [.admin])
    static let now = Timestamp(rfc3339: "2026-11-16T00:30:00Z")!

    /// cpu 0.05 per core-hour: one replica of 2 cores costs 0.10 per hour.
    static func prepare(_ store: BudgetStore, hourlyCap: String? = "10.00", periodCap: String? = nil, policy: ScalingPolicy? = nil) async throws {
        _ = try await store.putRateCard(
            tenant: "acme", effectiveFrom: Timestamp(rfc3339: "2026-01-01T00:00:00Z")!, currency: Currency("USD")!,
            prices: [.cpuCores: Price(decimalString: "0.05")!], actor: actor
        )
        _ = try await store.putConfig(
            tenant: "acme",
            policy ?? ScalingPolicy(environment: "prod", service: "api", minimumReplicas: 1, maximumReplicas: 1000, scaleUp: .init(cooldownSeconds: 0)),
            actor: actor
        )
        for service in ["web", "worker"] {
            _ = try await store.putConfig(
                tenant: "acme",
                ScalingPolicy(environment: "prod", service: service, minimumReplicas: 1, maximumReplicas: 1000, scaleUp: .init(cooldownSeconds: 0)),
                actor: actor
            )
        }
        _ = try await store.putConfig(
            tenant: "acme",
            Cap(name: "prod-cap", environment: "prod", periodSpend: periodCap.map { Money(decimalString: $0)! }, hourlyRunRate: hourlyCap.map { Money(decimalString: $0)! }),
            actor: actor
        )
    }

    /// Two store instances (two replicas) on one fresh database, both running for `body`. Correctness under
    /// contention, not latency: on a loaded CI machine a connection may take a while.
    static func withTwoStores(engine: TestEngine = .postgres, _ body: @escaping @Sendable (BudgetStore, BudgetStore) async throws -> Void) async throws {
        let url = try await TestDatabase.make(engine: engine)
        let first = BudgetStore(url: url, maximumConnections: 8, acquireTimeout: .seconds(60), logger: TestDatabase.testLogger)
        let second = BudgetStore(url: url, maximumConnections: 8, acquireTimeout: .seconds(60), logger: TestDatabase.testLogger)
        try await first.whileRunning {
            try await second.whileRunning { try await body(first, second) }
        }
    }

    static func request(_ id: String, service: String = "api", from current: Int = 2, to desired: Int) -> DecisionRequest {
        DecisionRequest(
            requestID: id, environment: "prod", service: service, currentReplicas: current, desiredReplicas: desired,
            perReplica: ["cpu_cores": 2], signals: [Signal(name: "cpu_utilization", value: 0.9)]
        )
    }
}

// Ten minutes: on Citus a test first waits for its own database, set up and distributed after the others'.
@Suite("Decisions: reservations, idempotency, replay", .timeLimit(.minutes(10)))
struct DecisionStoreTests {
    typealias S = DecisionSetup

    @Test("approved increments are reserved; the running total always equals the live reservations", arguments: TestEngine.available)
    func reservations(engine: TestEngine) async throws {
        try await TestDatabase.withStore(engine: engine) { store in
            try await S.prepare(store)
            // 10.00/h cap, 0.10 per replica: 100 replicas of headroom.
            let first = try await store.decide(tenant: "acme", request: S.request("a", to: 42), now: S.now)
            #expect(first.result.outcome == .allow)
            #expect(first.result.reservedReplicas == 40)
            let second = try await store.decide(tenant: "acme", request: S.request("b", service: "web", to: 82), now: S.now + .seconds(1))
            #expect(second.result.outcome == .clamp)
            #expect(second.result.allowedReplicas == 62)  // 60 left
            #expect(second.result.reasons.map(\.code) == ["cap_hourly_run_rate"])
            let third = try await store.decide(tenant: "acme", request: S.request("c", service: "worker", to: 3), now: S.now + .seconds(2))
            #expect(third.result.outcome == .deny)
            #expect(third.result.reasons.first?.message.hasPrefix("exceeded cap prod-cap: requested +0.10 USD/h, run rate 10.10 USD/h, limit 10.00 USD/h") == true)
            let live = try await store.liveReservations(tenant: "acme", environment: "prod")
            #expect(live.count == 2)
            #expect(live.ratePerHour.decimalString == "10.00")
            #expect(live.runningTotal == live.ratePerHour)
        }
    }

    @Test("the same request_id returns the same decision and reserves nothing more; another body is a conflict", arguments: TestEngine.available)
    func idempotency(engine: TestEngine) async throws {
        try await TestDatabase.withStore(engine: engine) { store in
            try await S.prepare(store)
            let first = try await store.decide(tenant: "acme", request: S.request("same", to: 12), now: S.now)
            let again = try await store.decide(tenant: "acme", request: S.request("same", to: 12), now: S.now + .seconds(30))
            #expect(again.id == first.id)
            #expect(again.repeated)
            #expect(again.resultJSON == first.resultJSON)
            #expect(try await store.liveReservations(tenant: "acme", environment: "prod").count == 1)
            let error = await #expect(throws: StoreError.self) {
                try await store.decide(tenant: "acme", request: S.request("same", to: 13), now: S.now)
            }
            #expect(error?.code == "request_id_reused")
        }
    }

    @Test("an unconfirmed reservation lapses after its TTL; a confirmed one is held until the run rate includes it", arguments: TestEngine.available)
    func reservationLifetime(engine: TestEngine) async throws {
        try await TestDatabase.withStore(engine: engine) { store in
            try await S.prepare(store)
            let settings = DecisionSettings(reservationTTL: .minutes(15))
            _ = try await store.decide(tenant: "acme", request: S.request("up-api", to: 12), now: S.now, settings: settings)
            _ = try await store.decide(tenant: "acme", request: S.request("up-web", service: "web", to: 12), now: S.now, settings: settings)
            // Five minutes later, web reports it runs 12 replicas: its reservation is confirmed.
            _ = try await store.decide(tenant: "acme", request: S.request("web-check", service: "web", from: 12, to: 13), now: S.now + .minutes(5), settings: settings)
            // Twenty minutes after the first decisions: api's unconfirmed reservation lapsed, and so did web-check's
            // (made at +5 min, never confirmed); web's confirmed 1.00/h is still held.
            let later = try await store.decide(tenant: "acme", request: S.request("later", service: "worker", to: 3), now: S.now + .minutes(20), settings: settings)
            #expect(later.snapshot.environmentFigures.reservedPerHour.decimalString == "1.00")
            // Once an hour that started after the reservation is complete, the run rate carries it: it ends.
            let nextHours = try await store.decide(tenant: "acme", request: S.request("hours", service: "worker", from: 3, to: 4), now: S.now + .minutes(150), settings: settings)
            #expect(nextHours.snapshot.environmentFigures.reservedPerHour == .zero)
            #expect(try await store.liveReservations(tenant: "acme", environment: "prod").count == 1)  // "hours" itself
        }
    }

    @Test("usage that shows the new replicas keeps a reservation past its TTL; usage that does not lets it lapse", arguments: TestEngine.available)
    func reservationConfirmedByUsage(engine: TestEngine) async throws {
        try await TestDatabase.withStore(engine: engine) { store in
            try await S.prepare(store)
            let settings = DecisionSettings(reservationTTL: .minutes(15))
            // api 2 → 12 (+1.00/h) and web 2 → 7 (+0.50/h); neither calls again.
            _ = try await store.decide(tenant: "acme", request: S.request("up-api", to: 12), now: S.now, settings: settings)
            _ = try await store.decide(tenant: "acme", request: S.request("up-web", service: "web", to: 7), now: S.now, settings: settings)
            // api's usage from the decision on shows 12 replicas × 2 cores; web's still shows the old 2 replicas,
            // and a sample of api from before the decision proves nothing.
            func sample(_ service: String, _ cores: Double, from start: Timestamp) -> UsageSample {
                UsageSample(environment: "prod", service: service, resource: .cpuCores, quantity: cores, start: start, end: start + .minutes(5))
            }
            _ = try await store.ingest(tenant: "acme", samples: [
                sample("api", 24, from: S.now - .minutes(5)),
                sample("api", 24, from: S.now + .minutes(5)),
                sample("web", 4, from: S.now + .minutes(5)),
            ])
            let later = try await store.decide(tenant: "acme", request: S.request("later", service: "worker", to: 3), now: S.now + .minutes(20), settings: settings)
            // api's 1.00/h is held (usage showed it); web's 0.50/h lapsed.
            #expect(later.snapshot.environmentFigures.reservedPerHour.decimalString == "1.00")
            let live = try await store.liveReservations(tenant: "acme", environment: "prod")
            #expect(live.ratePerHour.decimalString == "1.10")  // api's 1.00 and "later"'s own 0.10
            // The replicas resource counts too: web scales 7 → 9 and reports 9 replicas.
            _ = try await store.decide(tenant: "acme", request: S.request("up-web-2", service: "web", from: 7, to: 9), now: S.now + .minutes(21), settings: settings)
            _ = try await store.ingest(tenant: "acme", samples: [
                UsageSample(environment: "prod", service: "web", resource: .replicas, quantity: 9, start: S.now + .minutes(25), end: S.now + .minutes(30)),
            ])
            let last = try await store.decide(tenant: "acme", request: S.request("last", service: "worker", from: 3, to: 4), now: S.now + .minutes(40), settings: settings)
            // api's 1.00 and web's 7 → 9 (+0.20/h, confirmed by its replicas) are held; "later" (+0.10, no usage) lapsed.
            #expect(last.snapshot.environmentFigures.reservedPerHour.decimalString == "1.20")
        }
    }

    @Test("the step window counts the replicas approved inside it, read from the stored decisions", arguments: TestEngine.available)
    func stepWindowFromStore(engine: TestEngine) async throws {
        try await TestDatabase.withStore(engine: engine) { store in
            // At most 5 replicas added per 10 minutes.
            try await S.prepare(store, policy: ScalingPolicy(
                environment: "prod", service: "api", minimumReplicas: 1, maximumReplicas: 1000,
                scaleUp: .init(windowSeconds: 600, windowReplicas: 5, cooldownSeconds: 0)
            ))
            let first = try await store.decide(tenant: "acme", request: S.request("w1", from: 2, to: 5), now: S.now)
            #expect(first.result.outcome == .allow)
            #expect(first.snapshot.history.addedInWindow == 0)
            // A minute later 3 were added inside the window: only 2 more fit.
            let second = try await store.decide(tenant: "acme", request: S.request("w2", from: 5, to: 8), now: S.now + .minutes(1))
            #expect(second.snapshot.history.addedInWindow == 3)
            #expect(second.result.outcome == .clamp)
            #expect(second.result.allowedReplicas == 7)
            #expect(second.result.reasons.map(\.code) == ["step_window"])
            // Ten minutes after the first, the first has left the window (it is open at its start): only the
            // second's 2 are inside.
            let third = try await store.decide(tenant: "acme", request: S.request("w3", from: 7, to: 12), now: S.now + .minutes(10))
            #expect(third.snapshot.history.addedInWindow == 2)
            #expect(third.result.allowedReplicas == 10)
            // Once the last approved scale-up is older than the window, nothing is counted.
            let later = try await store.decide(tenant: "acme", request: S.request("w4", from: 10, to: 12), now: S.now + .minutes(30))
            #expect(later.snapshot.history.addedInWindow == 0)
            #expect(later.result.outcome == .allow)
        }
    }

    @Test("a released reservation frees its headroom at once; nothing is released twice", arguments: TestEngine.available)
    func release(engine: TestEngine) async throws {
        try await TestDatabase.withStore(engine: engine) { store in
            try await S.prepare(store)
            let full = try await store.decide(tenant: "acme", request: S.request("all", to: 102), now: S.now)
            #expect(full.result.reservedReplicas == 100)
            #expect(try await store.decide(tenant: "acme", request: S.request("none", service: "web", to: 3), now: S.now).result.outcome == .deny)
            _ = try await store.releaseReservation(tenant: "acme", decisionID: full.id, now: S.now + .seconds(10))
            #expect(try await store.decide(tenant: "acme", request: S.request("now", service: "web", to: 3), now: S.now + .seconds(11)).result.outcome == .allow)
            let error = await #expect(throws: StoreError.self) { try await store.releaseReservation(tenant: "acme", decisionID: full.id, now: S.now) }
            #expect(error?.code == "nothing_reserved")
            await #expect(throws: StoreError.self) { try await store.releaseReservation(tenant: "other", decisionID: full.id, now: S.now) }
        }
    }

    @Test("the period-spend cap uses spend so far, the run rate, reservations and the real hours left", arguments: TestEngine.available)
    func periodCap(engine: TestEngine) async throws {
        try await TestDatabase.withStore(engine: engine) { store in
            // 2026-11-16T00:30: 359.5 hours left. 4 cores all of the previous hour: run rate 0.20/h, spend 0.20.
            try await S.prepare(store, hourlyCap: nil, periodCap: "100.00")
            _ = try await store.ingest(tenant: "acme", samples: [
                UsageSample(environment: "prod", service: "api", resource: .cpuCores, quantity: 4,
                            start: Timestamp(rfc3339: "2026-11-15T23:00:00Z")!, end: Timestamp(rfc3339: "2026-11-16T00:00:00Z")!),
            ])
            let decision = try await store.decide(tenant: "acme", request: S.request("p", to: 10), now: S.now)
            // projected(n) = 0.20 + (0.20 + 0.10 n) × 359.5 = 72.10 + 35.95 n ≤ 100 → n = 0 … 0.776: none fits.
            #expect(decision.snapshot.environmentFigures.spendSoFar.decimalString == "0.20")
            #expect(decision.snapshot.environmentFigures.runRatePerHour.decimalString == "0.20")
            #expect(decision.result.outcome == .deny)
            #expect(decision.result.projectedPeriodSpend?.decimalString == "72.10")
            #expect(decision.result.headroom?.decimalString == "27.90")
            #expect(decision.result.reasons.first?.value == "359.70")  // 72.10 + 8 × 35.95
        }
    }

    @Test("every stored decision replays to the same bytes", arguments: TestEngine.available)
    func replay(engine: TestEngine) async throws {
        try await TestDatabase.withStore(engine: engine) { store in
            try await S.prepare(store, periodCap: "500.00")
            var ids: [UUID] = []
            for index in 0..<12 {
                let request = index % 3 == 2
                    ? S.request("down-\(index)", service: "web", from: 10, to: 5)
                    : S.request("up-\(index)", service: index % 2 == 0 ? "api" : "web", from: 2 + index, to: 8 + index * 3)
                ids.append(try await store.decide(tenant: "acme", request: request, now: S.now + .seconds(Int64(index))).id)
            }
            for id in ids {
                let stored = try await store.decision(tenant: "acme", id: id)
                let replay = try stored.replay()
                #expect(replay.identical, "\(id)")
            }
        }
    }

    @Test("concurrent scale-ups of one service from two store instances: the cooldown lets exactly one through", arguments: TestEngine.available)
    func concurrentCooldown(engine: TestEngine) async throws {
        try await S.withTwoStores(engine: engine) { first, second in
            try await S.prepare(first, hourlyCap: "1000.00", policy: ScalingPolicy(
                environment: "prod", service: "api", minimumReplicas: 1, maximumReplicas: 1000, scaleUp: .init(cooldownSeconds: 300)
            ))
            let approved = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<24 {
                    group.addTask {
                        let store = index % 2 == 0 ? first : second
                        let decision = try await store.decide(tenant: "acme", request: S.request("cd-\(index)", from: 2, to: 3), now: S.now)
                        return decision.result.outcome == .deny ? 0 : 1
                    }
                }
                return try await group.reduce(0, +)
            }
            // Every decision after the first sees the first's scale-up, however the requests interleave.
            #expect(approved == 1)
        }
    }

    @Test("64 concurrent scale-ups from two store instances never spend the same headroom twice", arguments: TestEngine.available)
    func concurrentReplicas(engine: TestEngine) async throws {
        try await S.withTwoStores(engine: engine) { first, second in
            try await S.prepare(first)  // 10.00/h: 100 replicas of headroom
            let increments = (0..<64).map { 1 + ($0 * 7) % 8 }  // 1…8, sum ≫ 100
            let approved = try await withThrowingTaskGroup(of: Int.self) { group in
                for (index, increment) in increments.enumerated() {
                    group.addTask {
                        let store = index % 2 == 0 ? first : second
                        let decision = try await store.decide(
                            tenant: "acme", request: S.request("c-\(index)", service: ["api", "web", "worker"][index % 3], from: 2, to: 2 + increment),
                            now: S.now
                        )
                        return decision.result.reservedReplicas
                    }
                }
                return try await group.reduce(0, +)
            }
            let largest = increments.max()!
            #expect(approved <= 100)
            #expect(approved >= 100 - largest)
            let live = try await first.liveReservations(tenant: "acme", environment: "prod")
            #expect(live.runningTotal == live.ratePerHour)
            #expect(live.ratePerHour.nanos == Int64(approved) * 100_000_000)
        }
    }
}
