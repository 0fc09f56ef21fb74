/// The pure decision function: the same request and snapshot always give the same result.
///
/// Scale-ups are checked against the scaling policy (signals, cooldown, max replicas, steps), then against
/// every cost limit (caps on period spend and hourly run rate, resource ceilings, enforcing budgets):
/// the allowed increment is the largest that fits every `deny` limit. Scale-downs are checked against the
/// policy only (min replicas, cooldown, the safety window), never against cost.
public enum DecisionEngine {
    /// A limit on the increment: the most replicas it lets through, and why.
    struct Constraint {
        var maximumIncrement: Int
        var reason: DecisionResult.Reason
        var enforcing: Bool { reason.enforcement == .deny }
    }

    public static func evaluate(_ request: DecisionRequest, _ snapshot: DecisionSnapshot) -> DecisionResult {
        var result = DecisionResult(
            outcome: .allow, allowedReplicas: request.desiredReplicas, reasons: [], incrementalCostPerHour: nil,
            requestedCostPerHour: nil, projectedPeriodSpend: nil, cap: nil, headroom: nil,
            currency: snapshot.rateCard?.currency, policyVersion: snapshot.policy?.version,
            rateCardVersion: snapshot.rateCard?.version, evaluatedAt: snapshot.evaluatedAt, reservedReplicas: 0
        )
        if request.desiredReplicas > request.currentReplicas {
            scaleUp(request, snapshot, into: &result)
        } else if request.desiredReplicas < request.currentReplicas {
            scaleDown(request, snapshot, into: &result)
        } else if request.mayCostMore {
            resize(request, snapshot, into: &result)
        }
        return result
    }

    static func scaleUp(_ request: DecisionRequest, _ snapshot: DecisionSnapshot, into result: inout DecisionResult) {
        let requested = request.desiredReplicas - request.currentReplicas
        let cost = CostOfIncrement(request: request, snapshot: snapshot)
        result.requestedCostPerHour = cost.perHour(requested)

        // Policy first: a refusal here is final whatever the money says.
        if let refusal = policyRefusal(request, snapshot) {
            result.outcome = .deny
            result.allowedReplicas = request.currentReplicas
            result.reasons = [refusal]
            result.incrementalCostPerHour = .zero
            result.projectedPeriodSpend = cost.environmentProjection(increment: nil)
            fillCap(&result, snapshot: snapshot, cost: cost, increment: nil)
            return
        }
        var constraints = policyConstraints(request, snapshot)
        constraints += cost.constraints(requested: requested)

        var allowed = requested
        for constraint in constraints where constraint.enforcing {
            allowed = min(allowed, max(0, constraint.maximumIncrement))
        }
        result.reasons = constraints.filter { $0.maximumIncrement < requested }.map(\.reason)
        if allowed == requested {
            result.outcome = .allow
        } else if allowed > 0 {
            result.outcome = .clamp
        } else {
            result.outcome = .deny
        }
        result.allowedReplicas = request.currentReplicas + allowed
        result.reservedReplicas = allowed
        // A refusal adds nothing, not even the resize of the current replicas.
        let added: Int? = result.outcome == .deny ? nil : allowed
        result.incrementalCostPerHour = added.map { cost.perHour($0) } ?? cost.perReplica.map { _ in .zero }
        result.projectedPeriodSpend = cost.environmentProjection(increment: added)
        fillCap(&result, snapshot: snapshot, cost: cost, increment: added)
    }

    /// The environment cap's period limit and what is left under it.
    static func fillCap(_ result: inout DecisionResult, snapshot: DecisionSnapshot, cost: CostOfIncrement, increment: Int?) {
        guard let cap = snapshot.caps.first(where: { $0.service == nil && $0.periodSpend != nil }), let limit = cap.periodSpend else { return }
        result.cap = limit
        if let projected = cost.environmentProjection(increment: increment) {
            result.headroom = limit.subtracting(projected)
        }
    }
}
