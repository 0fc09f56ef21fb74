import BudgetCore
import Foundation
import Testing

/// Fixtures: November 2026 (720 hours), evaluated on the 16th at 00:00 (360 hours left).
enum DecisionFixtures {
    static func at(_ text: String) -> Timestamp { Timestamp(rfc3339: text)! }
    static func money(_ text: String) -> Money { Money(decimalString: text)! }

    static let now = at("2026-11-16T00:00:00Z")
    static let card = RateCard(
        version: 3, effectiveFrom: at("2026-01-01T00:00:00Z"), currency: Currency("USD")!,
        prices: [.cpuCores: Price(decimalString: "0.04")!, .memoryGiB: Price(decimalString: "0.005")!]
    )
    static let policy = ScalingPolicy(
        environment: "prod", service: "api", minimumReplicas: 2, maximumReplicas: 20,
        scaleUp: .init(cooldownSeconds: 60), scaleDown: .init(cooldownSeconds: 300, safetyWindowSeconds: 600, backlogBelow: 10, inFlightAtMost: 1, errorRateAtMost: 0.01),
        version: 7
    )

    /// 2 cores + 4 GiB per replica: 0.08 + 0.02 = 0.10 per replica-hour.
    static func request(current: Int = 3, desired: Int, signals: [Signal] = [Signal(name: "cpu_utilization", value: 0.9)]) -> DecisionRequest {
        DecisionRequest(
            requestID: "r-1", environment: "prod", service: "api", currentReplicas: current, desiredReplicas: desired,
            perReplica: ["cpu_cores": 2, "memory_gib": 4], signals: signals
        )
    }

    /// Spend 1,000.00 so far, run rate 2.00/h, 0.50/h reserved: projected(n) = 1,900.00 + 36.00 × n.
    static func snapshot(
        policy: ScalingPolicy? = policy, caps: [Cap] = [], budgets: [Budget] = [], budgetFigures: [String: DecisionSnapshot.BudgetFigures] = [:],
        rateCard: RateCard? = card, history: DecisionSnapshot.ScaleHistory = .init(), environment: DecisionSnapshot.Figures? = nil,
        service: DecisionSnapshot.Figures = .init()
    ) -> DecisionSnapshot {
        DecisionSnapshot(
            evaluatedAt: now, policy: policy, caps: caps, budgets: budgets, rateCard: rateCard,
            periodStart: at("2026-11-01T00:00:00Z"), periodEnd: at("2026-12-01T00:00:00Z"),
            environmentFigures: environment ?? .init(spendSoFar: money("1000"), runRatePerHour: money("2"), reservedPerHour: money("0.50"), cpuCores: 14, memoryGiB: 40, replicas: 7),
            serviceFigures: service, budgetFigures: budgetFigures, history: history
        )
    }

    static func cap(_ enforcement: Enforcement = .deny, periodSpend: String? = nil, hourly: String? = nil, cores: Double? = nil, service: String? = nil) -> Cap {
        Cap(
            name: service == nil ? "prod-monthly" : "api-cap", environment: "prod", service: service, enforcement: enforcement,
            periodSpend: periodSpend.map(money), hourlyRunRate: hourly.map(money), maximumCPUCores: cores
        )
    }
}

@Suite("Decision engine: scaling policy")
struct DecisionPolicyTests {
    typealias F = DecisionFixtures

    @Test("no scaling policy: scale-ups are denied, with the reason")
    func noPolicy() {
        let result = DecisionEngine.evaluate(F.request(desired: 4), F.snapshot(policy: nil))
        #expect(result.outcome == .deny)
        #expect(result.allowedReplicas == 3)
        #expect(result.reasons.map(\.code) == ["no_scaling_policy"])
    }

    @Test("error rate alone, a latency percentile alone, or no trigger at all is forbidden_signal", arguments: [
        [Signal(name: "error_rate", value: 0.2)],
        [Signal(name: "latency_p99", value: 900)],
        [Signal(name: "error_rate", value: 0.2), Signal(name: "latency_p95", value: 500)],
        [],
        [Signal(name: "custom:orders", value: 10)],  // not in the policy's allowed list
    ])
    func forbiddenSignals(_ signals: [Signal]) {
        let result = DecisionEngine.evaluate(F.request(desired: 4, signals: signals), F.snapshot())
        #expect(result.outcome == .deny)
        #expect(result.reasons.first?.code == "forbidden_signal")
        #expect(result.reasons.first?.limitName == "allowed_signals")
    }

    @Test("error rate beside an allowed trigger is fine")
    func errorRateAsContext() {
        let signals = [Signal(name: "error_rate", value: 0.2), Signal(name: "queue_depth", value: 120)]
        #expect(DecisionEngine.evaluate(F.request(desired: 4, signals: signals), F.snapshot()).outcome == .allow)
    }

    @Test("max_replicas clamps; at max is a denial")
    func maxReplicas() {
        let clamped = DecisionEngine.evaluate(F.request(current: 15, desired: 30), F.snapshot())
        #expect(clamped.outcome == .clamp)
        #expect(clamped.allowedReplicas == 20)
        #expect(clamped.reasons.map(\.code) == ["max_replicas"])
        #expect(clamped.reasons.first?.limit == "20")
        #expect(clamped.reasons.first?.value == "30")
        let atMax = DecisionEngine.evaluate(F.request(current: 20, desired: 21), F.snapshot())
        #expect(atMax.outcome == .deny)
    }

    @Test("the step per decision is the larger of the absolute and percent limits")
    func stepPerDecision() {
        var policy = F.policy
        policy.scaleUp.maximumStepReplicas = 4
        policy.scaleUp.maximumStepPercent = 100
        // current 3: max(4, 3) = +4.
        let small = DecisionEngine.evaluate(F.request(current: 3, desired: 10), F.snapshot(policy: policy))
        #expect(small.allowedReplicas == 7)
        #expect(small.reasons.map(\.code) == ["max_step"])
        // current 8: max(4, 8) = +8, capped by max_replicas 20 → 16 allowed of 16 asked.
        #expect(DecisionEngine.evaluate(F.request(current: 8, desired: 16), F.snapshot(policy: policy)).outcome == .allow)
    }

    @Test("the step window counts what was added recently")
    func stepWindow() {
        var policy = F.policy
        policy.scaleUp.windowSeconds = 300
        policy.scaleUp.windowReplicas = 6
        let history = DecisionSnapshot.ScaleHistory(lastScaleUpAt: F.now - .seconds(120), addedInWindow: 4)
        let result = DecisionEngine.evaluate(F.request(current: 7, desired: 10), F.snapshot(policy: policy, history: history))
        #expect(result.outcome == .clamp)
        #expect(result.allowedReplicas == 9)
        #expect(result.reasons.first?.code == "step_window")
        let full = DecisionSnapshot.ScaleHistory(lastScaleUpAt: F.now - .seconds(120), addedInWindow: 6)
        #expect(DecisionEngine.evaluate(F.request(current: 9, desired: 10), F.snapshot(policy: policy, history: full)).outcome == .deny)
    }

    @Test("scale-up cooldown: 59 s after the last scale-up is refused, 60 s is allowed")
    func cooldown() {
        let early = DecisionEngine.evaluate(F.request(desired: 4), F.snapshot(history: .init(lastScaleUpAt: F.now - .seconds(59))))
        #expect(early.outcome == .deny)
        #expect(early.reasons.first?.code == "scale_up_cooldown")
        #expect(early.reasons.first?.value == "59")
        let later = DecisionEngine.evaluate(F.request(desired: 4), F.snapshot(history: .init(lastScaleUpAt: F.now - .seconds(60))))
        #expect(later.outcome == .allow)
    }
}

@Suite("Decision engine: caps, budgets and money")
struct DecisionCostTests {
    typealias F = DecisionFixtures

    @Test("exactly at the cap is allowed; one replica more is clamped back to the cap")
    func exactlyAtTheCap() {
        // projected(n) = 1,900.00 + 36.00 n; limit 2,080.00 → n = 5 fits exactly.
        let snapshot = F.snapshot(caps: [F.cap(periodSpend: "2080.00")])
        let atCap = DecisionEngine.evaluate(F.request(current: 3, desired: 8), snapshot)
        #expect(atCap.outcome == .allow)
        #expect(atCap.projectedPeriodSpend?.decimalString == "2080.00")
        #expect(atCap.headroom == .zero)
        #expect(atCap.incrementalCostPerHour?.decimalString == "0.50")
        #expect(atCap.reasons.isEmpty)
        let over = DecisionEngine.evaluate(F.request(current: 3, desired: 9), snapshot)
        #expect(over.outcome == .clamp)
        #expect(over.allowedReplicas == 8)
        #expect(over.requestedCostPerHour?.decimalString == "0.60")
        #expect(over.reasons.map(\.code) == ["cap_period_spend"])
        #expect(over.reasons.first?.value == "2116.00")
        #expect(over.cap?.decimalString == "2080.00")
    }

    @Test("one cent under the exact fit clamps one replica lower")
    func oneCentOver() {
        let result = DecisionEngine.evaluate(F.request(current: 3, desired: 8), F.snapshot(caps: [F.cap(periodSpend: "2079.99")]))
        #expect(result.outcome == .clamp)
        #expect(result.allowedReplicas == 7)
        #expect(result.projectedPeriodSpend?.decimalString == "2044.00")
        #expect(result.headroom?.decimalString == "35.99")
    }

    @Test("a denial reads like a Kubernetes quota error")
    func message() {
        // 100 hours left; 4 replicas of 3.10/h requested = +12.40/h; 47,070.00 + 12.40 × 100 = 48,310.00.
        let card = RateCard(version: 1, effectiveFrom: F.at("2026-01-01T00:00:00Z"), currency: Currency("USD")!, prices: [.cpuCores: Price(decimalString: "1.55")!])
        var snapshot = F.snapshot(caps: [F.cap(periodSpend: "48000.00")], rateCard: card, environment: .init(spendSoFar: F.money("47070")))
        snapshot.evaluatedAt = F.at("2026-11-26T20:00:00Z")
        let request = DecisionRequest(requestID: "x", environment: "prod", service: "api", currentReplicas: 3, desiredReplicas: 7,
                                      perReplica: ["cpu_cores": 2], signals: [Signal(name: "queue_depth", value: 120)])
        let result = DecisionEngine.evaluate(request, snapshot)
        #expect(result.reasons.first?.message == "exceeded cap prod-monthly: requested +12.40 USD/h, projected 48,310.00 USD, limit 48,000.00 USD")
        // 930.00 left under the limit, 310.00 per replica over the 100 hours: 3 of the 4 fit.
        #expect(result.outcome == .clamp)
        #expect(result.allowedReplicas == 6)
    }

    @Test("a projection with fractions of a cent is shown rounded up to the cent; the reason's value keeps every digit")
    func projectionInMessage() {
        // 100 hours and 20 minutes left: 47,070.00 + 12.40 × 100.333… = 48,314.1333… USD.
        let card = RateCard(version: 1, effectiveFrom: F.at("2026-01-01T00:00:00Z"), currency: Currency("USD")!, prices: [.cpuCores: Price(decimalString: "1.55")!])
        var snapshot = F.snapshot(caps: [F.cap(periodSpend: "48000.00")], rateCard: card, environment: .init(spendSoFar: F.money("47070")))
        snapshot.evaluatedAt = F.at("2026-11-26T19:40:00Z")
        let request = DecisionRequest(requestID: "x", environment: "prod", service: "api", currentReplicas: 3, desiredReplicas: 7,
                                      perReplica: ["cpu_cores": 2], signals: [Signal(name: "queue_depth", value: 120)])
        let result = DecisionEngine.evaluate(request, snapshot)
        #expect(result.reasons.first?.message == "exceeded cap prod-monthly: requested +12.40 USD/h, projected 48,314.14 USD, limit 48,000.00 USD")
        #expect(result.reasons.first?.value.hasPrefix("48314.13") == true)
    }

    @Test("the hourly run-rate cap: 2.50 + 0.10 n ≤ 3.00")
    func hourlyCap() {
        let result = DecisionEngine.evaluate(F.request(current: 3, desired: 12), F.snapshot(caps: [F.cap(hourly: "3.00")]))
        #expect(result.allowedReplicas == 8)
        #expect(result.reasons.map(\.code) == ["cap_hourly_run_rate"])
    }

    @Test("warn allows and says so; dryrun allows and records")
    func enforcementModes() {
        let warn = DecisionEngine.evaluate(F.request(current: 3, desired: 9), F.snapshot(caps: [F.cap(.warn, periodSpend: "2080.00")]))
        #expect(warn.outcome == .allow)
        #expect(warn.allowedReplicas == 9)
        #expect(warn.reasons.map(\.enforcement) == [.warn])
        #expect(warn.reasons.first?.message.hasPrefix("would exceed cap prod-monthly") == true)
        let dryrun = DecisionEngine.evaluate(F.request(current: 3, desired: 9), F.snapshot(caps: [F.cap(.dryrun, periodSpend: "2080.00")]))
        #expect(dryrun.outcome == .allow)
        #expect(dryrun.reasons.map(\.enforcement) == [.dryrun])
    }

    @Test("already over the cap: every scale-up is denied")
    func alreadyOver() {
        let result = DecisionEngine.evaluate(F.request(current: 3, desired: 4), F.snapshot(caps: [F.cap(periodSpend: "1800.00")]))
        #expect(result.outcome == .deny)
        #expect(result.allowedReplicas == 3)
        #expect(result.headroom?.decimalString == "-100.00")
    }

    @Test("a resource without a price fails closed under a cost cap, and is fine without one")
    func unpriced() {
        let request = DecisionRequest(requestID: "x", environment: "prod", service: "api", currentReplicas: 3, desiredReplicas: 4,
                                      perReplica: ["storage_gib": 100], signals: [Signal(name: "cpu_utilization", value: 0.9)])
        let capped = DecisionEngine.evaluate(request, F.snapshot(caps: [F.cap(periodSpend: "5000")]))
        #expect(capped.outcome == .deny)
        #expect(capped.reasons.first?.code == "unpriced")
        #expect(DecisionEngine.evaluate(request, F.snapshot()).outcome == .allow)
    }

    @Test("resource ceilings count what is in use and reserved")
    func ceilings() {
        // 14 cores in use, 2 per replica, ceiling 20 → +3.
        let result = DecisionEngine.evaluate(F.request(current: 3, desired: 10), F.snapshot(caps: [F.cap(cores: 20)]))
        #expect(result.allowedReplicas == 6)
        #expect(result.reasons.first?.code == "cap_cpu_cores")
        #expect(result.reasons.first?.message == "exceeded cap prod-monthly: requested +14 cpu_cores, in use 14, limit 20")
    }

    @Test("a service cap applies the service's own figures; the tighter limit wins")
    func serviceCap() {
        let snapshot = F.snapshot(
            caps: [F.cap(periodSpend: "100000"), F.cap(hourly: "0.30", service: "api")],
            service: .init(spendSoFar: F.money("10"), runRatePerHour: F.money("0.10"))
        )
        let result = DecisionEngine.evaluate(F.request(current: 3, desired: 10), snapshot)
        #expect(result.allowedReplicas == 5)
        #expect(result.reasons.map(\.limitName) == ["api-cap"])
    }

    @Test("an enforcing budget's forecast acts like a cap; a non-enforcing one does not")
    func budgetAware() {
        let budget = Budget(name: "prod-budget", environment: "prod", amount: F.money("1972.00"), enforce: true)
        let figures = DecisionSnapshot.BudgetFigures(
            periodStart: F.at("2026-11-01T00:00:00Z"), periodEnd: F.at("2026-12-01T00:00:00Z"),
            figures: .init(spendSoFar: F.money("1000"), runRatePerHour: F.money("2"), reservedPerHour: F.money("0.50"))
        )
        let enforced = DecisionEngine.evaluate(F.request(current: 3, desired: 10), F.snapshot(budgets: [budget], budgetFigures: ["prod-budget": figures]))
        #expect(enforced.allowedReplicas == 5)  // 1,900 + 36 n ≤ 1,972 → n = 2
        #expect(enforced.reasons.first?.code == "budget_forecast")
        var relaxed = budget
        relaxed.enforce = false
        #expect(DecisionEngine.evaluate(F.request(current: 3, desired: 10), F.snapshot(budgets: [relaxed], budgetFigures: ["prod-budget": figures])).outcome == .allow)
    }

    @Test("the same request and snapshot give the same bytes, also after a JSON round trip of the snapshot")
    func deterministic() throws {
        let snapshot = F.snapshot(caps: [F.cap(periodSpend: "2079.99"), F.cap(.warn, hourly: "2.60")])
        let request = F.request(current: 3, desired: 9)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let first = try encoder.encode(DecisionEngine.evaluate(request, snapshot))
        let decodedSnapshot = try JSONDecoder().decode(DecisionSnapshot.self, from: try encoder.encode(snapshot))
        let decodedRequest = try JSONDecoder().decode(DecisionRequest.self, from: try encoder.encode(request))
        #expect(decodedSnapshot == snapshot)
        let replayed = try encoder.encode(DecisionEngine.evaluate(decodedRequest, decodedSnapshot))
        #expect(first == replayed)
    }
}

@Suite("Decision engine: scale-down safety")
struct DecisionScaleDownTests {
    typealias F = DecisionFixtures

    static let calm = [Signal(name: "queue_depth", value: 2), Signal(name: "in_flight", value: 0), Signal(name: "error_rate", value: 0.001)]

    static func history(coverage seconds: Int64, signals: [Signal] = calm, lastUp: Timestamp? = nil, lastDown: Timestamp? = nil) -> DecisionSnapshot.ScaleHistory {
        let observations = stride(from: seconds, to: 0, by: -60).map { DecisionSnapshot.Observation(at: F.now - .seconds($0), signals: signals) }
        return .init(lastScaleUpAt: lastUp, lastScaleDownAt: lastDown, observations: observations)
    }

    @Test("scale-down when every condition held for the whole window; never checked against cost")
    func allowed() {
        let result = DecisionEngine.evaluate(
            F.request(current: 6, desired: 4, signals: Self.calm),
            F.snapshot(caps: [F.cap(periodSpend: "1.00")], history: Self.history(coverage: 600))
        )
        #expect(result.outcome == .allow)
        #expect(result.allowedReplicas == 4)
    }

    @Test("a window not yet covered by observations is not sustained")
    func notCovered() {
        let result = DecisionEngine.evaluate(F.request(current: 6, desired: 4, signals: Self.calm), F.snapshot(history: Self.history(coverage: 300)))
        #expect(result.outcome == .deny)
        #expect(result.reasons.first?.code == "scale_down_window")
        #expect(result.reasons.first?.value == "300")
    }

    @Test("one observation with backlog above the threshold blocks the scale-down")
    func backlogSpike() {
        var history = Self.history(coverage: 600)
        history.observations[3].signals = [Signal(name: "queue_depth", value: 50), Signal(name: "in_flight", value: 0), Signal(name: "error_rate", value: 0)]
        let result = DecisionEngine.evaluate(F.request(current: 6, desired: 4, signals: Self.calm), F.snapshot(history: history))
        #expect(result.outcome == .deny)
        #expect(result.reasons.first?.limitName == "scale_down.backlog")
        #expect(result.reasons.first?.value == "50")
    }

    @Test("a missing condition signal in the current request blocks it")
    func unreported() {
        let result = DecisionEngine.evaluate(
            F.request(current: 6, desired: 4, signals: [Signal(name: "queue_depth", value: 1)]), F.snapshot(history: Self.history(coverage: 600))
        )
        #expect(result.outcome == .deny)
        #expect(result.reasons.first?.value == "not reported")
    }

    @Test("min replicas clamps, then denies at the minimum")
    func minimum() {
        let clamped = DecisionEngine.evaluate(F.request(current: 6, desired: 0, signals: Self.calm), F.snapshot(history: Self.history(coverage: 600)))
        #expect(clamped.outcome == .clamp)
        #expect(clamped.allowedReplicas == 2)
        let atMin = DecisionEngine.evaluate(F.request(current: 2, desired: 1, signals: Self.calm), F.snapshot(history: Self.history(coverage: 600)))
        #expect(atMin.outcome == .deny)
        #expect(atMin.reasons.first?.code == "min_replicas")
    }

    @Test("no scale-down inside the cooldown or right after a scale-up")
    func cooldowns() {
        let afterDown = DecisionEngine.evaluate(
            F.request(current: 6, desired: 4, signals: Self.calm), F.snapshot(history: Self.history(coverage: 600, lastDown: F.now - .seconds(100)))
        )
        #expect(afterDown.reasons.first?.code == "scale_down_cooldown")
        let afterUp = DecisionEngine.evaluate(
            F.request(current: 6, desired: 4, signals: Self.calm), F.snapshot(history: Self.history(coverage: 600, lastUp: F.now - .seconds(400)))
        )
        #expect(afterUp.reasons.first?.code == "recent_scale_up")
    }
}
