extension DecisionEngine {
    /// Scale-downs answer to the policy only: min replicas, cooldown, no recent scale-up, and the
    /// safety window's conditions sustained for the whole window. Never to cost.
    static func scaleDown(_ request: DecisionRequest, _ snapshot: DecisionSnapshot, into result: inout DecisionResult) {
        result.incrementalCostPerHour = .zero
        result.requestedCostPerHour = .zero
        guard let policy = snapshot.policy else {
            result.reasons = [
                .init(
                    code: "no_scaling_policy", limitName: "scaling policy", limit: "none", value: "none", enforcement: .warn,
                    message: "\(request.environment)/\(request.service) has no scaling policy: the scale-down is not checked against any bounds"
                )
            ]
            return
        }
        let now = snapshot.evaluatedAt
        func deny(_ reason: DecisionResult.Reason) {
            result.outcome = .deny
            result.allowedReplicas = request.currentReplicas
            result.reasons = [reason]
        }
        if request.currentReplicas <= policy.minimumReplicas {
            return deny(
                .init(
                    code: "min_replicas", limitName: "min_replicas", limit: "\(policy.minimumReplicas)", value: "\(request.desiredReplicas)",
                    message: "refused scale-down of \(request.service): already at \(request.currentReplicas) replicas, min_replicas \(policy.minimumReplicas)"
                )
            )
        }
        let down = policy.scaleDown
        if let last = snapshot.history.lastScaleDownAt {
            let elapsed = now.microseconds(since: last) / 1_000_000
            if elapsed < Int64(down.cooldownSeconds) {
                return deny(
                    .init(
                        code: "scale_down_cooldown", limitName: "scale_down.cooldown_seconds", limit: "\(down.cooldownSeconds)", value: "\(elapsed)",
                        message: "refused scale-down of \(request.service): last scale-down \(elapsed)s ago, cooldown \(down.cooldownSeconds)s"
                    )
                )
            }
        }
        if let last = snapshot.history.lastScaleUpAt {
            let elapsed = now.microseconds(since: last) / 1_000_000
            if elapsed < Int64(down.safetyWindowSeconds) {
                return deny(
                    .init(
                        code: "recent_scale_up", limitName: "scale_down.safety_window_seconds", limit: "\(down.safetyWindowSeconds)", value: "\(elapsed)",
                        message: "refused scale-down of \(request.service): scaled up \(elapsed)s ago, inside the \(down.safetyWindowSeconds)s safety window"
                    )
                )
            }
        }
        if let refusal = safetyWindowRefusal(request, snapshot, policy: policy) {
            return deny(refusal)
        }
        if request.desiredReplicas < policy.minimumReplicas {
            result.outcome = .clamp
            result.allowedReplicas = policy.minimumReplicas
            result.reasons = [
                .init(
                    code: "min_replicas", limitName: "min_replicas", limit: "\(policy.minimumReplicas)", value: "\(request.desiredReplicas)",
                    message: "requested \(request.desiredReplicas) replicas of \(request.service), min_replicas \(policy.minimumReplicas)"
                )
            ]
        }
    }

    /// The safety window: every observation from the one at (or before) `now − window` to now, the current
    /// request included, met every condition; a window not yet covered by observations is not sustained.
    static func safetyWindowRefusal(_ request: DecisionRequest, _ snapshot: DecisionSnapshot, policy: ScalingPolicy) -> DecisionResult.Reason? {
        let down = policy.scaleDown
        let now = snapshot.evaluatedAt
        let windowStart = now - .seconds(Int64(down.safetyWindowSeconds))
        let current = DecisionSnapshot.Observation(at: now, signals: request.signals)
        var considered: [DecisionSnapshot.Observation]
        if down.safetyWindowSeconds == 0 {
            considered = [current]
        } else {
            let observations = snapshot.history.observations.filter { $0.at < now }
            guard let anchorIndex = observations.lastIndex(where: { $0.at <= windowStart }) else {
                let oldest = observations.first.map { now.microseconds(since: $0.at) / 1_000_000 } ?? 0
                return .init(
                    code: "scale_down_window", limitName: "scale_down.safety_window_seconds", limit: "\(down.safetyWindowSeconds)",
                    value: "\(oldest)",
                    message: "refused scale-down of \(request.service): conditions observed for \(oldest)s, the safety window needs \(down.safetyWindowSeconds)s"
                )
            }
            considered = Array(observations[anchorIndex...]) + [current]
        }
        let conditions: [(name: String, code: String, limit: Double?, holds: (Double) -> Bool, label: String)] = [
            ("queue_depth", "backlog", down.backlogBelow, { value in value < (down.backlogBelow ?? .infinity) }, "below"),
            ("in_flight", "in_flight", down.inFlightAtMost, { value in value <= (down.inFlightAtMost ?? .infinity) }, "at most"),
            ("error_rate", "error_rate", down.errorRateAtMost, { value in value <= (down.errorRateAtMost ?? .infinity) }, "at most"),
        ]
        for condition in conditions {
            guard let limit = condition.limit else { continue }
            for observation in considered {
                let value = observation.signals.last(where: { $0.name == condition.name })?.value
                guard let value, condition.holds(value) else {
                    let seen = value.map { Self.number($0) } ?? "not reported"
                    let ago = now.microseconds(since: observation.at) / 1_000_000
                    return .init(
                        code: "scale_down_window", limitName: "scale_down.\(condition.code)", limit: Self.number(limit), value: seen,
                        message: "refused scale-down of \(request.service): \(condition.name) was \(seen) \(ago)s ago, must stay \(condition.label) \(Self.number(limit)) for \(down.safetyWindowSeconds)s"
                    )
                }
            }
        }
        return nil
    }

    /// A number as people read it: integers without a decimal point.
    public static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
