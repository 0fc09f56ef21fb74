/// Everything a decision depends on besides the request, captured in one transaction and stored with
/// the decision: replaying it through `DecisionEngine` must give the same bytes.
public struct DecisionSnapshot: Sendable, Hashable, Codable {
    public var evaluatedAt: Timestamp
    public var policy: ScalingPolicy?
    /// The environment's cap and the service's own cap, where they exist.
    public var caps: [Cap]
    /// Budgets of this environment (or service) that take part in decisions.
    public var budgets: [Budget]
    /// The rate-card version in force at the evaluation time.
    public var rateCard: RateCard?
    /// The tenant's period (for caps) at the evaluation time.
    public var periodStart: Timestamp
    public var periodEnd: Timestamp
    /// Figures of the environment, of the service, and of each enforcing budget's scope and period.
    public var environmentFigures: Figures
    public var serviceFigures: Figures
    public var budgetFigures: [String: BudgetFigures]
    public var history: ScaleHistory

    /// Spend and resources of a scope at the evaluation time.
    public struct Figures: Sendable, Hashable, Codable {
        /// Cost from the period's start up to the evaluation time.
        public var spendSoFar: Money
        /// Cost of the latest complete hour.
        public var runRatePerHour: Money
        /// Cost per hour held by live reservations of approved, not yet visible increments.
        public var reservedPerHour: Money
        /// Average resources in use in the latest complete hour, plus those reserved.
        public var cpuCores: Double
        public var memoryGiB: Double
        public var replicas: Double

        public init(spendSoFar: Money = .zero, runRatePerHour: Money = .zero, reservedPerHour: Money = .zero,
                    cpuCores: Double = 0, memoryGiB: Double = 0, replicas: Double = 0) {
            self.spendSoFar = spendSoFar
            self.runRatePerHour = runRatePerHour
            self.reservedPerHour = reservedPerHour
            self.cpuCores = cpuCores
            self.memoryGiB = memoryGiB
            self.replicas = replicas
        }

        enum CodingKeys: String, CodingKey {
            case replicas
            case spendSoFar = "spend_so_far"
            case runRatePerHour = "run_rate_per_hour"
            case reservedPerHour = "reserved_per_hour"
            case cpuCores = "cpu_cores"
            case memoryGiB = "memory_gib"
        }
    }

    /// A budget's own period and figures.
    public struct BudgetFigures: Sendable, Hashable, Codable {
        public var periodStart: Timestamp
        public var periodEnd: Timestamp
        public var figures: Figures

        public init(periodStart: Timestamp, periodEnd: Timestamp, figures: Figures) {
            self.periodStart = periodStart
            self.periodEnd = periodEnd
            self.figures = figures
        }

        enum CodingKeys: String, CodingKey {
            case figures
            case periodStart = "period_start"
            case periodEnd = "period_end"
        }
    }

    /// The service's recent scaling, for cooldowns, step windows and the scale-down safety window.
    public struct ScaleHistory: Sendable, Hashable, Codable {
        /// When the last approved scale-up (allow or clamp) was decided.
        public var lastScaleUpAt: Timestamp?
        /// When the last approved scale-down was decided.
        public var lastScaleDownAt: Timestamp?
        /// Replicas added by approved scale-ups within the policy's step window.
        public var addedInWindow: Int
        /// Signals reported by earlier requests within the safety window, oldest first.
        public var observations: [Observation]

        public init(lastScaleUpAt: Timestamp? = nil, lastScaleDownAt: Timestamp? = nil, addedInWindow: Int = 0, observations: [Observation] = []) {
            self.lastScaleUpAt = lastScaleUpAt
            self.lastScaleDownAt = lastScaleDownAt
            self.addedInWindow = addedInWindow
            self.observations = observations
        }

        enum CodingKeys: String, CodingKey {
            case observations
            case lastScaleUpAt = "last_scale_up_at"
            case lastScaleDownAt = "last_scale_down_at"
            case addedInWindow = "added_in_window"
        }
    }

    public struct Observation: Sendable, Hashable, Codable {
        public var at: Timestamp
        public var signals: [Signal]

        public init(at: Timestamp, signals: [Signal]) {
            self.at = at
            self.signals = signals
        }
    }

    public init(
        evaluatedAt: Timestamp, policy: ScalingPolicy?, caps: [Cap], budgets: [Budget], rateCard: RateCard?,
        periodStart: Timestamp, periodEnd: Timestamp, environmentFigures: Figures, serviceFigures: Figures,
        budgetFigures: [String: BudgetFigures] = [:], history: ScaleHistory = ScaleHistory()
    ) {
        self.evaluatedAt = evaluatedAt
        self.policy = policy
        self.caps = caps
        self.budgets = budgets
        self.rateCard = rateCard
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.environmentFigures = environmentFigures
        self.serviceFigures = serviceFigures
        self.budgetFigures = budgetFigures
        self.history = history
    }

    enum CodingKeys: String, CodingKey {
        case policy, caps, budgets, history
        case evaluatedAt = "evaluated_at"
        case rateCard = "rate_card"
        case periodStart = "period_start"
        case periodEnd = "period_end"
        case environmentFigures = "environment_figures"
        case serviceFigures = "service_figures"
        case budgetFigures = "budget_figures"
    }
}

extension RateCard: Codable {
    enum CodingKeys: String, CodingKey {
        case version, currency, prices
        case effectiveFrom = "effective_from"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(Int.self, forKey: .version)
        effectiveFrom = try container.decode(Timestamp.self, forKey: .effectiveFrom)
        currency = try container.decode(Currency.self, forKey: .currency)
        let named = try container.decode([String: Price].self, forKey: .prices)
        var prices: [Resource: Price] = [:]
        for (name, price) in named {
            guard let resource = Resource(rawValue: name) else {
                throw DecodingError.dataCorruptedError(forKey: .prices, in: container, debugDescription: "unknown resource \(name)")
            }
            prices[resource] = price
        }
        self.prices = prices
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
        try container.encode(effectiveFrom, forKey: .effectiveFrom)
        try container.encode(currency, forKey: .currency)
        try container.encode(Dictionary(uniqueKeysWithValues: prices.map { ($0.key.rawValue, $0.value) }), forKey: .prices)
    }
}
