/// What the detector made of one point: expected versus actual, how unusual it is, and the alert lifecycle.
public struct AnomalyAssessment: Sendable, Hashable, Codable {
    /// A change in the alert's lifecycle at this point.
    public enum Transition: String, Sendable, Hashable, Codable {
        /// `sustainedIntervals` consecutive beyond-threshold intervals, after the cold start: raise the alert.
        case fired
        /// `sustainedIntervals` consecutive intervals back within thresholds: resolve it.
        case resolved
    }

    /// The point's timestamp.
    public var timestamp: Timestamp
    /// The observed value (cost in the interval).
    public var actual: Double
    /// The baseline's value for this point, learnt from earlier points only.
    public var expected: Double
    /// What `expected` came from.
    public var basis: BaselineBasis
    /// The anomaly likelihood, 0...1: one minus the tail probability of the recent raw scores under the series'
    /// own long-run distribution of them (0 during the cold start). Evidence for an alert is 1 − 1e-5 or more.
    public var score: Double
    /// Whether both the relative and the absolute threshold are passed in a watched direction.
    public var isBeyond: Bool
    /// Fired or resolved here, or nil.
    public var transition: Transition?
    /// Whether an anomaly is ongoing after this point.
    public var isOpen: Bool
    /// The open anomaly's direction (up or down), if one is open.
    public var openDirection: AnomalyDirection?
    /// Whether this point falls in the cold start (no alert can fire yet).
    public var coldStart: Bool
    /// Intervals of history still to learn before alerts can fire, this one included (0 once ready).
    public var intervalsUntilReady: Int
    /// actual − expected in currency per hour, rounded half to even to the nano-unit.
    public var impactPerHour: Money
    /// (actual − expected) ÷ expected × 100, or nil when expected is (about) zero.
    public var impactPercent: Double?
    /// Whether the point changed nothing: not later than the last one, or not a finite number.
    public var ignored: Bool

    public init(timestamp: Timestamp, actual: Double, expected: Double, basis: BaselineBasis, score: Double,
                isBeyond: Bool, transition: Transition?, isOpen: Bool, openDirection: AnomalyDirection?,
                coldStart: Bool, intervalsUntilReady: Int, impactPerHour: Money, impactPercent: Double?,
                ignored: Bool) {
        self.timestamp = timestamp
        self.actual = actual
        self.expected = expected
        self.basis = basis
        self.score = score
        self.isBeyond = isBeyond
        self.transition = transition
        self.isOpen = isOpen
        self.openDirection = openDirection
        self.coldStart = coldStart
        self.intervalsUntilReady = intervalsUntilReady
        self.impactPerHour = impactPerHour
        self.impactPercent = impactPercent
        self.ignored = ignored
    }

    enum CodingKeys: String, CodingKey {
        case timestamp, actual, expected, basis, score, transition
        case isBeyond = "is_beyond"
        case isOpen = "is_open"
        case openDirection = "open_direction"
        case coldStart = "cold_start"
        case intervalsUntilReady = "intervals_until_ready"
        case impactPerHour = "impact_per_hour"
        case impactPercent = "impact_percent"
        case ignored
    }

    /// A sentence for the status: the cold start, or expected versus actual.
    public var status: String {
        if coldStart {
            return "learning the baseline: no growth alerts for \(intervalsUntilReady) more interval\(intervalsUntilReady == 1 ? "" : "s")"
        }
        let sign = impactPerHour.isNegative ? "" : "+"
        let percent = impactPercent.map { ", \(sign)\(Self.wholePercent($0)) %" } ?? ""
        return "actual \(Self.amount(actual)) vs expected \(Self.amount(expected)) (\(sign)\(impactPerHour.decimalString)/h\(percent))"
    }

    /// A percentage rounded to a whole number, as text.
    static func wholePercent(_ percent: Double) -> String {
        guard percent.isFinite, abs(percent) < 1e15 else { return percent > 0 ? "∞" : "-∞" }
        return String(Int64(percent.rounded(.toNearestOrEven)))
    }

    /// An amount as money text (half to even to the nano-unit, then trimmed like `Money.decimalString`).
    static func amount(_ value: Double) -> String {
        money(value).decimalString
    }

    /// The money nearest to `value` currency units: its shortest decimal text rounded once, half to even, to
    /// the nano-unit (as `Quantity` converts); clamped to the representable range; 0 for NaN.
    static func money(_ value: Double) -> Money {
        guard !value.isNaN else { return .zero }
        guard abs(value) < 9_000_000_000 else { return Money(nanos: value < 0 ? -Int64.max : Int64.max) }
        let nanos = Quantity(abs(value)).map { Int64($0.nanos) } ?? 0
        return Money(nanos: value < 0 ? -nanos : nanos)
    }
}
