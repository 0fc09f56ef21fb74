extension DecisionEngine {
    /// The same replicas, each bigger (a new pod template): checked against the cost limits only — it adds no
    /// replica, so the policy's replica bounds and cooldowns do not apply. All or nothing: allowed when the
    /// resize fits every `deny` limit, denied otherwise (there is no smaller resize to clamp to).
    static func resize(_ request: DecisionRequest, _ snapshot: DecisionSnapshot, into result: inout DecisionResult) {
        let cost = CostOfIncrement(request: request, snapshot: snapshot)
        result.requestedCostPerHour = cost.perHour(0)
        let constraints = cost.constraints(requested: 0)
        // With nothing more to add, an unknown cost still leaves the resize unchecked: refused like an excess.
        let failing = constraints.filter { $0.maximumIncrement < 0 || $0.reason.code == "unpriced" || $0.reason.code == "unknown_resources" }
        result.reasons = failing.map(\.reason)
        if failing.contains(where: \.enforcing) {
            result.outcome = .deny
            result.incrementalCostPerHour = .zero
            result.projectedPeriodSpend = cost.environmentProjection(increment: nil)
            fillCap(&result, snapshot: snapshot, cost: cost, increment: nil)
        } else {
            result.incrementalCostPerHour = cost.perHour(0)
            result.projectedPeriodSpend = cost.environmentProjection(increment: 0)
            fillCap(&result, snapshot: snapshot, cost: cost, increment: 0)
        }
        result.allowedReplicas = request.currentReplicas
    }
}
