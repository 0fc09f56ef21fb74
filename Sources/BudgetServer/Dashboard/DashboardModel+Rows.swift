import BudgetCore

/// An amount at an instant: a cumulative spend point, or the cost of the bucket starting there.
public struct CostPoint: Sendable, Hashable {
    public var at: Timestamp
    public var amount: Money

    public init(at: Timestamp, amount: Money) {
        self.at = at
        self.amount = amount
    }
}

/// One service's cost per bucket over time.
public struct ServiceSeries: Sendable, Hashable {
    public var service: String
    public var points: [CostPoint]

    public init(service: String, points: [CostPoint]) {
        self.service = service
        self.points = points
    }
}

/// One row of the per-service table.
public struct ServiceRow: Sendable, Hashable {
    public var service: String
    /// Spend so far in the period.
    public var spend: Money
    public var runRatePerHour: Money
    /// This service's fraction of the environment's spend, 0...1 (display only).
    public var share: Double

    public init(service: String, spend: Money, runRatePerHour: Money, share: Double) {
        self.service = service
        self.spend = spend
        self.runRatePerHour = runRatePerHour
        self.share = share
    }
}

/// An anomaly to mark on the charts at the instant it was detected.
public struct AnomalyMarker: Sendable, Hashable {
    public var at: Timestamp
    /// The service whose cost grew abnormally; nil for the environment as a whole.
    public var service: String?
    public var message: String

    public init(at: Timestamp, service: String?, message: String) {
        self.at = at
        self.service = service
        self.message = message
    }
}

/// A firing alert.
public struct AlertRow: Sendable, Hashable {
    public var severity: Severity
    /// The alert's kind, e.g. `budget_forecast`, `cap_veto`, `cost_growth`.
    public var kind: String
    public var summary: String
    /// When it started firing.
    public var since: Timestamp

    public init(severity: Severity, kind: String, summary: String, since: Timestamp) {
        self.severity = severity
        self.kind = kind
        self.summary = summary
        self.since = since
    }
}

/// A recent scaling decision with the reasons behind it.
public struct DecisionRow: Sendable, Hashable {
    /// The decision's id, when it should be shown (and queryable as `data-decision-id`).
    public var decisionID: String?
    public var at: Timestamp
    public var service: String
    public var outcome: DecisionResult.Outcome
    public var currentReplicas: Int
    public var desiredReplicas: Int
    public var allowedReplicas: Int
    /// One sentence per reason.
    public var reasons: [String]

    /// Deny and clamp rows stand out on the page.
    public var isHighlighted: Bool { outcome != .allow }

    public init(
        decisionID: String? = nil, at: Timestamp, service: String, outcome: DecisionResult.Outcome,
        currentReplicas: Int, desiredReplicas: Int, allowedReplicas: Int, reasons: [String]
    ) {
        self.decisionID = decisionID
        self.at = at
        self.service = service
        self.outcome = outcome
        self.currentReplicas = currentReplicas
        self.desiredReplicas = desiredReplicas
        self.allowedReplicas = allowedReplicas
        self.reasons = reasons
    }
}
