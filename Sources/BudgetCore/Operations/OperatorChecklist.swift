/// The scaling contract's operator checklist, evaluated against a tenant's live configuration.
public enum OperatorChecklist {
    /// One line of the checklist: passed or not, and why.
    public struct Check: Sendable, Hashable, Codable {
        public var name: String
        public var passed: Bool
        /// Why it passed or failed, in a sentence or two.
        public var detail: String

        public init(name: String, passed: Bool, detail: String) {
            self.name = name
            self.passed = passed
            self.detail = detail
        }
    }

    /// What the checklist looks at.
    public struct Inputs: Sendable {
        public var tenant: String
        /// Environments with usage, caps, budgets or policies.
        public var environments: [String]
        public var policies: [ScalingPolicy]
        public var caps: [Cap]
        /// Services that asked for decisions but have no scaling policy (`environment/service`).
        public var servicesWithoutPolicy: [String]
        /// Each alert route by name, with nil when it answered or the reason it did not.
        public var routeProbes: [(name: String, failure: String?)]
        public var retention: RetentionPolicy
        /// When the retention job last finished for this deployment, if ever.
        public var retentionLastRun: Timestamp?
        public var now: Timestamp

        public init(
            tenant: String, environments: [String], policies: [ScalingPolicy], caps: [Cap], servicesWithoutPolicy: [String],
            routeProbes: [(name: String, failure: String?)], retention: RetentionPolicy, retentionLastRun: Timestamp?, now: Timestamp
        ) {
            self.tenant = tenant
            self.environments = environments
            self.policies = policies
            self.caps = caps
            self.servicesWithoutPolicy = servicesWithoutPolicy
            self.routeProbes = routeProbes
            self.retention = retention
            self.retentionLastRun = retentionLastRun
            self.now = now
        }
    }

    /// How stale the retention job may be before the check fails (it runs hourly).
    public static let retentionStaleness: TimeSpan = .hours(3)

    public static func evaluate(_ inputs: Inputs) -> [Check] {
        [bounds(inputs), cooldowns(inputs), caps(inputs), alertRoutes(inputs), retention(inputs)]
    }

    /// "Autoscaling bounds set": every service that scales has a policy with min and max replicas.
    static func bounds(_ inputs: Inputs) -> Check {
        let name = "scaling policies set min and max replicas"
        guard !inputs.policies.isEmpty else {
            return Check(name: name, passed: false, detail: "no scaling policies: no service has autoscaling bounds")
        }
        var problems: [String] = []
        for policy in inputs.policies.sorted(by: { ($0.environment, $0.service) < ($1.environment, $1.service) }) {
            if policy.minimumReplicas < 1 { problems.append("\(policy.environment)/\(policy.service): min_replicas is \(policy.minimumReplicas)") }
            if policy.maximumReplicas < policy.minimumReplicas {
                problems.append("\(policy.environment)/\(policy.service): max_replicas \(policy.maximumReplicas) is below min_replicas \(policy.minimumReplicas)")
            }
        }
        for service in inputs.servicesWithoutPolicy.sorted() { problems.append("\(service) asks for scaling decisions but has no policy") }
        if problems.isEmpty {
            return Check(name: name, passed: true, detail: "\(inputs.policies.count) policies, each with min and max replicas")
        }
        return Check(name: name, passed: false, detail: problems.joined(separator: "; "))
    }

    /// "Scale-up and scale-down cooldowns REQUIRED", "Scale-down safety window defined".
    static func cooldowns(_ inputs: Inputs) -> Check {
        let name = "cooldowns and a scale-down safety window are defined"
        guard !inputs.policies.isEmpty else { return Check(name: name, passed: false, detail: "no scaling policies") }
        var problems: [String] = []
        for policy in inputs.policies.sorted(by: { ($0.environment, $0.service) < ($1.environment, $1.service) }) {
            var missing: [String] = []
            if policy.scaleUp.cooldownSeconds <= 0 { missing.append("scale_up.cooldown_seconds") }
            if policy.scaleDown.cooldownSeconds <= 0 { missing.append("scale_down.cooldown_seconds") }
            if policy.scaleDown.safetyWindowSeconds <= 0 { missing.append("scale_down.safety_window_seconds") }
            if !missing.isEmpty { problems.append("\(policy.environment)/\(policy.service): \(missing.joined(separator: ", ")) is 0") }
        }
        if problems.isEmpty {
            return Check(name: name, passed: true, detail: "every policy has scale-up and scale-down cooldowns and a safety window")
        }
        return Check(name: name, passed: false, detail: problems.joined(separator: "; "))
    }

    /// "Cost guardrails configured": every environment has a hard (deny) cap on spend.
    static func caps(_ inputs: Inputs) -> Check {
        let name = "every environment has a hard cap"
        guard !inputs.environments.isEmpty else { return Check(name: name, passed: false, detail: "no environments yet (no usage, caps, budgets or policies)") }
        var problems: [String] = []
        for environment in inputs.environments.sorted() {
            let caps = inputs.caps.filter { $0.environment == environment && $0.service == nil }
            guard let cap = caps.first else {
                problems.append("\(environment) has no cap")
                continue
            }
            if cap.enforcement != .deny {
                problems.append("\(environment)'s cap \(cap.name) is \(cap.enforcement.rawValue)-only, not enforced")
            } else if cap.periodSpend == nil && cap.hourlyRunRate == nil {
                problems.append("\(environment)'s cap \(cap.name) limits no spend (neither period_spend nor hourly_run_rate)")
            }
        }
        if problems.isEmpty {
            return Check(name: name, passed: true, detail: "\(inputs.environments.count) environments, each with an enforced spend cap")
        }
        return Check(name: name, passed: false, detail: problems.joined(separator: "; "))
    }

    /// Alerts on abnormal growth reach someone: routes exist and answer.
    static func alertRoutes(_ inputs: Inputs) -> Check {
        let name = "alert routes exist and answer"
        guard !inputs.routeProbes.isEmpty else {
            return Check(name: name, passed: false, detail: "no alert routes: alerts are recorded but reach no one")
        }
        let failures = inputs.routeProbes.sorted { $0.name < $1.name }.compactMap { probe in probe.failure.map { "\(probe.name): \($0)" } }
        if failures.isEmpty {
            return Check(name: name, passed: true, detail: "\(inputs.routeProbes.count) routes answered")
        }
        return Check(name: name, passed: false, detail: failures.joined(separator: "; "))
    }

    /// "Retention policies MUST be defined" — and enforced.
    static func retention(_ inputs: Inputs) -> Check {
        let name = "retention is defined and enforced"
        let retention = inputs.retention
        let source = retention.isExplicit ? "set for \(inputs.tenant)" : "the documented defaults"
        let figures = "raw samples \(retention.rawDays) days, hourly rollups \(retention.hourlyMonths) months (\(source))"
        guard let last = inputs.retentionLastRun else {
            return Check(name: name, passed: false, detail: "\(figures), but the retention job has never run")
        }
        let age = inputs.now - last
        guard age <= retentionStaleness else {
            return Check(name: name, passed: false, detail: "\(figures), but the retention job last ran \(Int(age.totalHours)) hours ago")
        }
        return Check(name: name, passed: true, detail: figures)
    }
}
