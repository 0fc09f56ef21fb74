/// The answer to a decision request: the outcome, the replicas allowed, and every reason.
public struct DecisionResult: Sendable, Hashable, Codable {
    public enum Outcome: String, Sendable, Hashable, Codable {
        case allow, clamp, deny
    }

    /// One bound that was met (or, for `warn` and `dryrun` limits, would have been).
    public struct Reason: Sendable, Hashable, Codable {
        /// Machine-readable: `max_replicas`, `cap_period_spend`, `forbidden_signal`, …
        public var code: String
        /// The limit's name (a cap or budget name, or the policy field).
        public var limitName: String
        /// The limit, as text (money as a decimal string, counts as integers).
        public var limit: String
        /// The value that met it.
        public var value: String
        /// `deny` when it restricted the outcome; `warn`/`dryrun` when it only reports.
        public var enforcement: Enforcement
        /// A sentence in the style of Kubernetes' quota errors.
        public var message: String

        public init(code: String, limitName: String, limit: String, value: String, enforcement: Enforcement = .deny, message: String) {
            self.code = code
            self.limitName = limitName
            self.limit = limit
            self.value = value
            self.enforcement = enforcement
            self.message = message
        }

        enum CodingKeys: String, CodingKey {
            case code, limit, value, enforcement, message
            case limitName = "limit_name"
        }
    }

    public var outcome: Outcome
    public var allowedReplicas: Int
    public var reasons: [Reason]
    /// Cost per hour of the allowed increment (zero for scale-downs and denials).
    public var incrementalCostPerHour: Money?
    /// Cost per hour of the requested increment.
    public var requestedCostPerHour: Money?
    /// spend so far + (run rate + reservations + allowed increment) × time left in the period.
    public var projectedPeriodSpend: Money?
    /// The environment cap's period-spend limit, and what is left under it after this decision.
    public var cap: Money?
    public var headroom: Money?
    public var currency: Currency?
    public var policyVersion: Int?
    public var rateCardVersion: Int?
    public var evaluatedAt: Timestamp
    /// Replicas reserved by this decision (the approved increment); zero when nothing was reserved.
    public var reservedReplicas: Int

    enum CodingKeys: String, CodingKey {
        case outcome, reasons, cap, headroom, currency
        case allowedReplicas = "allowed_replicas"
        case incrementalCostPerHour = "incremental_cost_per_hour"
        case requestedCostPerHour = "requested_cost_per_hour"
        case projectedPeriodSpend = "projected_period_spend"
        case policyVersion = "policy_version"
        case rateCardVersion = "rate_card_version"
        case evaluatedAt = "evaluated_at"
        case reservedReplicas = "reserved_replicas"
    }
}
