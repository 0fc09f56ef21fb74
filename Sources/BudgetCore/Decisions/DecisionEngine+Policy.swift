extension DecisionEngine {
    /// Refusals that end a scale-up outright: no policy, forbidden triggers, cooldown, already at max.
    static func policyRefusal(_ request: DecisionRequest, _ snapshot: DecisionSnapshot) -> DecisionResult.Reason? {
        guard let policy = snapshot.policy else {
            return .init(
                code: "no_scaling_policy", limitName: "scaling policy", limit: "required", value: "none",
                message: "\(request.environment)/\(request.service) has no scaling policy: min and max replicas must be set before it may scale up"
            )
        }
        let allowedNames = Set(policy.allowedSignals)
        let triggers = request.signals.filter { signal in
            guard let kind = Signal.Kind(name: signal.name), !kind.isForbiddenAlone else { return false }
            return allowedNames.contains(signal.name)
        }
        if triggers.isEmpty {
            let sent = request.signals.map(\.name)
            let forbidden = sent.filter { Signal.Kind(name: $0)?.isForbiddenAlone == true }
            let detail = sent.isEmpty
                ? "no trigger signal was sent"
                : (forbidden.count == sent.count
                    ? "\(forbidden.joined(separator: ", ")) alone may not trigger scaling (error rate and latency percentiles are context, not triggers)"
                    : "none of \(sent.joined(separator: ", ")) is an allowed trigger")
            return .init(
                code: "forbidden_signal", limitName: "allowed_signals", limit: policy.allowedSignals.joined(separator: ","),
                value: sent.joined(separator: ","), message: "refused scale-up of \(request.service): \(detail)"
            )
        }
        if let last = snapshot.history.lastScaleUpAt {
            let elapsed = snapshot.evaluatedAt.microseconds(since: last) / 1_000_000
            if elapsed < Int64(policy.scaleUp.cooldownSeconds) {
                return .init(
                    code: "scale_up_cooldown", limitName: "scale_up.cooldown_seconds", limit: "\(policy.scaleUp.cooldownSeconds)",
                    value: "\(elapsed)",
                    message: "refused scale-up of \(request.service): last scale-up \(elapsed)s ago, cooldown \(policy.scaleUp.cooldownSeconds)s"
                )
            }
        }
        if request.currentReplicas >= policy.maximumReplicas {
            return .init(
                code: "max_replicas", limitName: "max_replicas", limit: "\(policy.maximumReplicas)", value: "\(request.desiredReplicas)",
                message: "refused scale-up of \(request.service): already at \(request.currentReplicas) replicas, max_replicas \(policy.maximumReplicas)"
            )
        }
        return nil
    }

    /// Limits from the policy that can clamp a scale-up: max replicas, the step per decision and per window.
    static func policyConstraints(_ request: DecisionRequest, _ snapshot: DecisionSnapshot) -> [Constraint] {
        guard let policy = snapshot.policy else { return [] }
        let current = request.currentReplicas
        let requested = request.desiredReplicas - current
        var constraints: [Constraint] = [
            Constraint(
                maximumIncrement: policy.maximumReplicas - current,
                reason: .init(
                    code: "max_replicas", limitName: "max_replicas", limit: "\(policy.maximumReplicas)", value: "\(request.desiredReplicas)",
                    message: "requested \(request.desiredReplicas) replicas of \(request.service), max_replicas \(policy.maximumReplicas)"
                )
            )
        ]
        let up = policy.scaleUp
        if up.maximumStepReplicas != nil || up.maximumStepPercent != nil {
            let step = max(1, up.maximumStepReplicas ?? 0, percentOf(current, up.maximumStepPercent))
            constraints.append(
                Constraint(
                    maximumIncrement: step,
                    reason: .init(
                        code: "max_step", limitName: "scale_up.max_step", limit: "\(step)", value: "\(requested)",
                        message: "requested +\(requested) replicas of \(request.service) in one step, at most +\(step)"
                    )
                )
            )
        }
        if let window = up.windowSeconds, up.windowReplicas != nil || up.windowPercent != nil {
            let limit = max(1, up.windowReplicas ?? 0, percentOf(current, up.windowPercent))
            let added = snapshot.history.addedInWindow
            constraints.append(
                Constraint(
                    maximumIncrement: limit - added,
                    reason: .init(
                        code: "step_window", limitName: "scale_up.window", limit: "\(limit)", value: "\(added + requested)",
                        message: "\(added) replicas of \(request.service) added in the last \(window)s; +\(requested) more would exceed +\(limit) per \(window)s"
                    )
                )
            )
        }
        return constraints
    }

    /// ceil(count × percent / 100), or 0 without a percent.
    static func percentOf(_ count: Int, _ percent: Int?) -> Int {
        guard let percent else { return 0 }
        return (count * percent + 99) / 100
    }
}
