/// The money side of a scale-up: what one more replica costs per hour under the rate card, and what
/// each cost limit (caps, enforcing budgets, resource ceilings) lets through.
struct CostOfIncrement {
    let request: DecisionRequest
    let snapshot: DecisionSnapshot
    /// Cost of one replica for one hour; nil when a resource it uses has no price.
    let perReplica: Money?
    /// What is missing from the rate card, for the reason when the cost cannot be known.
    let unpriced: [String]
    let currency: String

    /// What resizing the current replicas adds per hour (currentReplicas × (new − old) per replica; zero when
    /// nothing is resized, negative when they shrink).
    let resizeCost: Money
    /// What resizing adds of each resource (for the resource ceilings).
    let resizeChange: [Resource: Double]

    init(request: DecisionRequest, snapshot: DecisionSnapshot) {
        self.request = request
        self.snapshot = snapshot
        currency = snapshot.rateCard?.currency.code ?? ""
        resizeChange = request.resizeChange
        if let unknown = request.resourcesUnknown {
            perReplica = nil
            resizeCost = .zero
            unpriced = [unknown]
            return
        }
        guard let card = snapshot.rateCard else {
            perReplica = nil
            resizeCost = .zero
            unpriced = ["a rate card"]
            return
        }
        let new = Self.replicaCost(request.perReplicaResources, card: card)
        var missing = new.missing
        var resize = Money.zero
        if !resizeChange.isEmpty {
            let old = Self.replicaCost(request.currentPerReplicaResources, card: card)
            missing += old.missing.filter { !missing.contains($0) }
            if let newCost = new.cost, let oldCost = old.cost,
                let difference = newCost.subtracting(oldCost), let total = difference.multiplied(by: request.currentReplicas)
            {
                resize = total
            }
        }
        perReplica = missing.isEmpty ? new.cost : nil
        resizeCost = resize
        unpriced = missing.map { "a price for \($0)" }
    }

    /// Cost of one replica with `resources` for one hour under `card`, and the resources it has no price for.
    static func replicaCost(_ resources: [Resource: Double], card: RateCard) -> (cost: Money?, missing: [String]) {
        // A price on `replicas` is per replica-hour; the others come from the per-replica resources.
        var total = card.prices[.replicas].flatMap {
            CostArithmetic.gaugeCost(quantity: Quantity(1)!, durationMicroseconds: Timestamp.microsecondsPerHour, pricePerUnitHour: $0)
        } ?? Money.zero
        var missing: [String] = []
        for (resource, amount) in resources.sorted(by: { $0.key < $1.key }) where amount > 0 {
            guard let price = card.prices[resource], let quantity = Quantity(amount),
                let cost = CostArithmetic.gaugeCost(quantity: quantity, durationMicroseconds: Timestamp.microsecondsPerHour, pricePerUnitHour: price),
                let sum = total.adding(cost)
            else {
                missing.append(resource.rawValue)
                continue
            }
            total = sum
        }
        return (missing.isEmpty ? total : nil, missing)
    }

    /// The cost per hour of `replicas` more replicas (and of resizing the current ones, when the change does).
    func perHour(_ replicas: Int) -> Money? {
        perReplica?.multiplied(by: replicas)?.adding(resizeCost)
    }

    /// spend so far + (run rate + reservations + increment) × time left, for `figures` over a period.
    /// `increment` nil adds nothing (a refused change); 0 adds only the resize, if any.
    func projection(_ figures: DecisionSnapshot.Figures, increment: Int?, periodEnd: Timestamp, periodStart: Timestamp) -> Money? {
        let now = snapshot.evaluatedAt
        let left = max(0, periodEnd.microsecondsSinceEpoch - max(now, periodStart).microsecondsSinceEpoch)
        let added = increment.map { $0 == 0 && resizeCost == .zero ? Money.zero : perHour($0) } ?? Money.zero
        guard let added, let rate = figures.runRatePerHour.adding(figures.reservedPerHour)?.adding(added),
            let carried = CostArithmetic.perHour(rate, over: left)
        else { return nil }
        return figures.spendSoFar.adding(carried)
    }

    func environmentProjection(increment: Int?) -> Money? {
        projection(snapshot.environmentFigures, increment: increment, periodEnd: snapshot.periodEnd, periodStart: snapshot.periodStart)
    }

    /// The largest n in 0...requested for which `fits(n)`; -1 when not even 0 fits (already over the limit).
    static func largest(upTo requested: Int, fits: (Int) -> Bool) -> Int {
        if fits(requested) { return requested }
        if !fits(0) { return -1 }
        var low = 0
        var high = requested
        while high - low > 1 {
            let middle = (low + high) / 2
            if fits(middle) { low = middle } else { high = middle }
        }
        return low
    }

    func money(_ value: Money?) -> String {
        guard let value else { return "unknown" }
        return "\(value.formatted(grouping: true)) \(currency)".trimmingTrailingSpace()
    }

    /// A projection in a sentence: rounded up to the cent (it is never shown below the real figure; the
    /// reason's `value` keeps every digit).
    func projectedMoney(_ value: Money?) -> String {
        guard let value else { return "unknown" }
        let cent: Int64 = 10_000_000
        let (quotient, remainder) = value.nanos.quotientAndRemainder(dividingBy: cent)
        let up = remainder > 0 && quotient < Int64.max / cent ? quotient + 1 : quotient
        return money(Money(nanos: up * cent))
    }

    func constraints(requested: Int) -> [DecisionEngine.Constraint] {
        var constraints: [DecisionEngine.Constraint] = []
        for cap in snapshot.caps {
            let figures = cap.service == nil ? snapshot.environmentFigures : snapshot.serviceFigures
            constraints += capConstraints(cap, figures: figures, requested: requested)
        }
        for budget in snapshot.budgets where budget.enforce {
            guard let budgetFigures = snapshot.budgetFigures[budget.name] else { continue }
            constraints += budgetConstraints(budget, budgetFigures, requested: requested)
        }
        return constraints
    }

    private func unknownCost(_ name: String, kind: String, enforcement: Enforcement) -> DecisionEngine.Constraint {
        if let unknown = request.resourcesUnknown {
            return .init(
                maximumIncrement: 0,
                reason: .init(
                    code: "unknown_resources", limitName: name, limit: kind, value: "unknown", enforcement: enforcement,
                    message: "cannot check \(kind) \(name): \(unknown), so the increment's cost is unknown"
                )
            )
        }
        return .init(
            maximumIncrement: 0,
            reason: .init(
                code: "unpriced", limitName: name, limit: kind, value: unpriced.joined(separator: ", "), enforcement: enforcement,
                message: "cannot check \(kind) \(name): the rate card lacks \(unpriced.joined(separator: ", ")), so the increment's cost is unknown"
            )
        )
    }

    private func capConstraints(_ cap: Cap, figures: DecisionSnapshot.Figures, requested: Int) -> [DecisionEngine.Constraint] {
        var constraints: [DecisionEngine.Constraint] = []
        let verb = cap.enforcement == .deny ? "exceeded" : "would exceed"
        let requestedCost = money(perHour(requested))
        if let limit = cap.periodSpend {
            if perReplica == nil {
                constraints.append(unknownCost(cap.name, kind: "cap", enforcement: cap.enforcement))
            } else {
                let projected = { (n: Int) in projection(figures, increment: n, periodEnd: snapshot.periodEnd, periodStart: snapshot.periodStart) }
                let fits = CostOfIncrement.largest(upTo: requested) { n in (projected(n).map { $0 <= limit }) ?? false }
                constraints.append(
                    .init(
                        maximumIncrement: fits,
                        reason: .init(
                            code: "cap_period_spend", limitName: cap.name, limit: limit.decimalString,
                            value: projected(requested)?.decimalString ?? "unknown", enforcement: cap.enforcement,
                            message: "\(verb) cap \(cap.name): requested +\(requestedCost)/h, projected \(projectedMoney(projected(requested))), limit \(money(limit))"
                        )
                    )
                )
            }
        }
        if let limit = cap.hourlyRunRate {
            if perReplica == nil {
                constraints.append(unknownCost(cap.name, kind: "cap", enforcement: cap.enforcement))
            } else {
                let rate = { (n: Int) in figures.runRatePerHour.adding(figures.reservedPerHour)?.adding(perHour(n) ?? .zero) }
                let fits = CostOfIncrement.largest(upTo: requested) { n in (rate(n).map { $0 <= limit }) ?? false }
                constraints.append(
                    .init(
                        maximumIncrement: fits,
                        reason: .init(
                            code: "cap_hourly_run_rate", limitName: cap.name, limit: limit.decimalString,
                            value: rate(requested)?.decimalString ?? "unknown", enforcement: cap.enforcement,
                            message: "\(verb) cap \(cap.name): requested +\(requestedCost)/h, run rate \(money(rate(requested)))/h, limit \(money(limit))/h"
                        )
                    )
                )
            }
        }
        let resources = request.perReplicaResources
        let ceilings: [(code: String, name: String, limit: Double?, inUse: Double, perReplica: Double, resize: Double)] = [
            ("cap_cpu_cores", "cpu_cores", cap.maximumCPUCores, figures.cpuCores, resources[.cpuCores] ?? 0, resizeChange[.cpuCores] ?? 0),
            ("cap_memory_gib", "memory_gib", cap.maximumMemoryGiB, figures.memoryGiB, resources[.memoryGiB] ?? 0, resizeChange[.memoryGiB] ?? 0),
            ("cap_replicas", "replicas", cap.maximumReplicas.map(Double.init), figures.replicas, 1, 0),
        ]
        for ceiling in ceilings {
            guard let limit = ceiling.limit, ceiling.perReplica > 0 else { continue }
            let inUse = ceiling.inUse + ceiling.resize
            let fits = CostOfIncrement.largest(upTo: requested) { n in inUse + Double(n) * ceiling.perReplica <= limit + 1e-9 }
            let wanted = inUse + Double(requested) * ceiling.perReplica
            constraints.append(
                .init(
                    maximumIncrement: fits,
                    reason: .init(
                        code: ceiling.code, limitName: cap.name, limit: DecisionEngine.number(limit), value: DecisionEngine.number(wanted),
                        enforcement: cap.enforcement,
                        message: "\(verb) cap \(cap.name): requested +\(DecisionEngine.number(Double(requested) * ceiling.perReplica + ceiling.resize)) \(ceiling.name), "
                            + "in use \(DecisionEngine.number(ceiling.inUse)), limit \(DecisionEngine.number(limit))"
                    )
                )
            )
        }
        return constraints
    }

    private func budgetConstraints(_ budget: Budget, _ budgetFigures: DecisionSnapshot.BudgetFigures, requested: Int) -> [DecisionEngine.Constraint] {
        guard perReplica != nil else { return [unknownCost(budget.name, kind: "budget", enforcement: .deny)] }
        let projected = { (n: Int) in
            projection(budgetFigures.figures, increment: n, periodEnd: budgetFigures.periodEnd, periodStart: budgetFigures.periodStart)
        }
        let fits = CostOfIncrement.largest(upTo: requested) { n in (projected(n).map { $0 <= budget.amount }) ?? false }
        return [
            .init(
                maximumIncrement: fits,
                reason: .init(
                    code: "budget_forecast", limitName: budget.name, limit: budget.amount.decimalString,
                    value: projected(requested)?.decimalString ?? "unknown",
                    message: "exceeded budget \(budget.name): requested +\(money(perHour(requested)))/h, forecast \(money(projected(requested))), budget \(money(budget.amount))"
                )
            )
        ]
    }
}

extension String {
    fileprivate func trimmingTrailingSpace() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}
