/// Which way a series has to move to count as abnormal.
public enum AnomalyDirection: String, Sendable, Hashable, Codable, CaseIterable {
    /// Growth: actual above expected (the default: cost going up).
    case up
    /// Decline: actual below expected.
    case down
    /// Either way.
    case both

    /// Whether a move with this sign (+1 up, -1 down) is watched.
    func watches(_ sign: Int) -> Bool {
        switch self {
        case .up: sign > 0
        case .down: sign < 0
        case .both: sign != 0
        }
    }
}

/// The thresholds of the abnormal-growth detector; one configuration serves every series of a tenant.
public struct AnomalyConfiguration: Sendable, Hashable, Codable {
    /// Growth over the expected value, as a fraction of it (0.5: +50 %), that must also be passed; 0 (the
    /// default): any growth the likelihood finds abnormal, as long as the absolute threshold is passed.
    public var relativeThreshold: Double
    /// Growth in currency per hour (whatever the interval) that must also be passed.
    public var absoluteThreshold: Money
    /// Consecutive beyond-threshold intervals before an alert fires, and within-threshold ones before it resolves.
    public var sustainedIntervals: Int
    /// Intervals of history before any alert (cold start); the likelihood learns its distribution meanwhile.
    public var minimumHistory: Int
    /// Intervals after an alert fires during which no new alert fires for the series (alert suppression).
    public var quietIntervals: Int
    /// And at least this long (seconds): on a 5-minute series 50 intervals are only four hours. The quiet period
    /// is the longer of the two.
    public var quietSeconds: Int
    /// Which way counts.
    public var direction: AnomalyDirection
    /// The length of one interval of the series, in seconds (the cost rollups are hourly).
    public var intervalSeconds: Int

    public init(relativeThreshold: Double = 0, absoluteThreshold: Money = Money(nanos: Money.nanosPerUnit),
                sustainedIntervals: Int = 2, minimumHistory: Int = 100, quietIntervals: Int = 50, quietSeconds: Int = 21_600,
                direction: AnomalyDirection = .up, intervalSeconds: Int = 3600) {
        self.relativeThreshold = relativeThreshold
        self.absoluteThreshold = absoluteThreshold
        self.sustainedIntervals = sustainedIntervals
        self.minimumHistory = minimumHistory
        self.quietIntervals = quietIntervals
        self.quietSeconds = quietSeconds
        self.direction = direction
        self.intervalSeconds = intervalSeconds
    }

    /// The defaults: abnormal by the likelihood (or out of the series' range) and at least 1.00 per hour,
    /// sustained 2 intervals (one spike never alerts), after 100 intervals of history, at most one alert per
    /// 50 intervals and 6 hours.
    public static let standard = AnomalyConfiguration()

    enum CodingKeys: String, CodingKey {
        case relativeThreshold = "relative_threshold"
        case absoluteThreshold = "absolute_threshold"
        case sustainedIntervals = "sustained_intervals"
        case minimumHistory = "minimum_history"
        case quietIntervals = "quiet_intervals"
        case quietSeconds = "quiet_seconds"
        case direction
        case intervalSeconds = "interval_seconds"
    }

    /// Missing keys take their defaults, so a stored configuration survives new settings.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = AnomalyConfiguration.standard
        relativeThreshold = try container.decodeIfPresent(Double.self, forKey: .relativeThreshold) ?? defaults.relativeThreshold
        absoluteThreshold = try container.decodeIfPresent(Money.self, forKey: .absoluteThreshold) ?? defaults.absoluteThreshold
        sustainedIntervals = try container.decodeIfPresent(Int.self, forKey: .sustainedIntervals) ?? defaults.sustainedIntervals
        minimumHistory = try container.decodeIfPresent(Int.self, forKey: .minimumHistory) ?? defaults.minimumHistory
        quietIntervals = try container.decodeIfPresent(Int.self, forKey: .quietIntervals) ?? defaults.quietIntervals
        quietSeconds = try container.decodeIfPresent(Int.self, forKey: .quietSeconds) ?? defaults.quietSeconds
        direction = try container.decodeIfPresent(AnomalyDirection.self, forKey: .direction) ?? defaults.direction
        intervalSeconds = try container.decodeIfPresent(Int.self, forKey: .intervalSeconds) ?? defaults.intervalSeconds
    }

    /// Why the configuration is unusable, or nil.
    public var problem: FieldError? {
        guard relativeThreshold.isFinite, relativeThreshold >= 0, relativeThreshold <= 100 else {
            return FieldError(code: "invalid_value", message: "relative_threshold must be a fraction from 0 to 100 (0.5 is +50 %, 0 leaves it to the likelihood)", field: "relative_threshold")
        }
        if direction != .up, relativeThreshold >= 1 {
            return FieldError(code: "invalid_value", message: "relative_threshold must be below 1 to watch declines (cost cannot fall by 100 % or more)", field: "relative_threshold")
        }
        guard !absoluteThreshold.isNegative else {
            return FieldError(code: "invalid_value", message: "absolute_threshold must not be negative", field: "absolute_threshold")
        }
        guard (1...1_000).contains(sustainedIntervals) else {
            return FieldError(code: "invalid_value", message: "sustained_intervals must be 1...1000", field: "sustained_intervals")
        }
        guard (0...100_000).contains(minimumHistory) else {
            return FieldError(code: "invalid_value", message: "minimum_history must be 0...100000 intervals", field: "minimum_history")
        }
        guard (0...100_000).contains(quietIntervals) else {
            return FieldError(code: "invalid_value", message: "quiet_intervals must be 0...100000", field: "quiet_intervals")
        }
        guard (0...2_592_000).contains(quietSeconds) else {
            return FieldError(code: "invalid_value", message: "quiet_seconds must be 0...2592000 (up to 30 days)", field: "quiet_seconds")
        }
        guard (1...604_800).contains(intervalSeconds) else {
            return FieldError(code: "invalid_value", message: "interval_seconds must be 1...604800 (a second to a week)", field: "interval_seconds")
        }
        return nil
    }

    /// The quiet period after an alert, in intervals: the longer of `quietIntervals` and `quietSeconds`.
    public var quietPeriod: Int {
        let interval = max(intervalSeconds, 1)
        return max(quietIntervals, (quietSeconds + interval - 1) / interval)
    }

}
