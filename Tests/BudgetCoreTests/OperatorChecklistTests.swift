import BudgetCore
import Testing

@Suite("The operator checklist")
struct OperatorChecklistTests {
    static let now = Timestamp(year: 2026, month: 11, day: 29, hour: 12)!

    static func inputs(
        environments: [String] = ["prod", "staging"],
        policies: [ScalingPolicy] = [ScalingPolicy(environment: "prod", service: "api", minimumReplicas: 2, maximumReplicas: 20)],
        caps: [Cap] = [
            Cap(name: "prod-cap", environment: "prod", periodSpend: Money(decimalString: "900")!),
            Cap(name: "staging-cap", environment: "staging", hourlyRunRate: Money(decimalString: "2")!),
        ],
        withoutPolicy: [String] = [],
        probes: [(name: String, failure: String?)] = [("oncall", nil)],
        retention: RetentionPolicy = .defaults,
        lastRun: Timestamp? = now - .minutes(20)
    ) -> OperatorChecklist.Inputs {
        OperatorChecklist.Inputs(
            tenant: "acme", environments: environments, policies: policies, caps: caps, servicesWithoutPolicy: withoutPolicy,
            routeProbes: probes, retention: retention, retentionLastRun: lastRun, now: now
        )
    }

    static func failures(_ inputs: OperatorChecklist.Inputs) -> [String: String] {
        Dictionary(uniqueKeysWithValues: OperatorChecklist.evaluate(inputs).filter { !$0.passed }.map { ($0.name, $0.detail) })
    }

    @Test("a complete configuration passes every check, each with its reason")
    func allPass() {
        let checks = OperatorChecklist.evaluate(Self.inputs())
        #expect(checks.count == 5)
        #expect(checks.allSatisfy { $0.passed }, "\(checks)")
        #expect(checks.last?.detail == "raw samples 35 days, hourly rollups 3 months (the documented defaults)")
    }

    @Test("each gap fails its own check and says what is missing")
    func gaps() {
        #expect(Self.failures(Self.inputs(policies: [])).keys.sorted() == [
            "cooldowns and a scale-down safety window are defined", "scaling policies set min and max replicas",
        ])
        let zeroCooldown = ScalingPolicy(
            environment: "prod", service: "api", minimumReplicas: 2, maximumReplicas: 20,
            scaleUp: .init(cooldownSeconds: 0), scaleDown: .init(cooldownSeconds: 300, safetyWindowSeconds: 0)
        )
        #expect(Self.failures(Self.inputs(policies: [zeroCooldown])) == [
            "cooldowns and a scale-down safety window are defined": "prod/api: scale_up.cooldown_seconds, scale_down.safety_window_seconds is 0",
        ])
        #expect(Self.failures(Self.inputs(withoutPolicy: ["prod/search"])) == [
            "scaling policies set min and max replicas": "prod/search asks for scaling decisions but has no policy",
        ])
        let warnOnly = [Cap(name: "prod-cap", environment: "prod", enforcement: .warn, periodSpend: Money(decimalString: "900")!)]
        #expect(Self.failures(Self.inputs(caps: warnOnly)) == [
            "every environment has a hard cap": "prod's cap prod-cap is warn-only, not enforced; staging has no cap",
        ])
        let replicasOnly = [
            Cap(name: "prod-cap", environment: "prod", maximumReplicas: 40), Cap(name: "staging-cap", environment: "staging", hourlyRunRate: Money(decimalString: "2")!),
        ]
        #expect(Self.failures(Self.inputs(caps: replicasOnly))["every environment has a hard cap"]
            == "prod's cap prod-cap limits no spend (neither period_spend nor hourly_run_rate)")
        #expect(Self.failures(Self.inputs(probes: [])) == ["alert routes exist and answer": "no alert routes: alerts are recorded but reach no one"])
        #expect(Self.failures(Self.inputs(probes: [("pager", "http://x answered 500"), ("ok", nil)])) == [
            "alert routes exist and answer": "pager: http://x answered 500",
        ])
        #expect(Self.failures(Self.inputs(lastRun: nil))["retention is defined and enforced"]
            == "raw samples 35 days, hourly rollups 3 months (the documented defaults), but the retention job has never run")
        #expect(Self.failures(Self.inputs(lastRun: Self.now - .hours(5)))["retention is defined and enforced"]?.hasSuffix("last ran 5 hours ago") == true)
        #expect(Self.failures(Self.inputs(environments: []))["every environment has a hard cap"] != nil)
    }

    @Test("retention horizons: raw by day, hourly by month")
    func horizons() {
        let policy = RetentionPolicy(rawDays: 10, hourlyMonths: 3)
        #expect(policy.rawHorizon(at: Self.now) == Timestamp(year: 2026, month: 11, day: 20)!)
        #expect(policy.hourlyHorizon(at: Self.now) == Timestamp(year: 2026, month: 9, day: 1)!)
        #expect(RetentionPolicy(rawDays: 35, hourlyMonths: 12).hourlyHorizon(at: Timestamp(year: 2026, month: 1, day: 5)!) == Timestamp(year: 2025, month: 2, day: 1)!)
        #expect(RetentionPolicy(rawDays: 2, hourlyMonths: 1).problem?.field == "raw_retention_days")
        #expect(RetentionPolicy(rawDays: 3, hourlyMonths: 121).problem?.field == "hourly_retention_months")
    }
}
