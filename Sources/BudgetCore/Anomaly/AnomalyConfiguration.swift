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
    /// Growth over the expected value, as a fraction of it (0.5: +50 %).
    public var relativeThreshold: Double
    /// Growth in currency per hour (whatever the interval) that must also be passed.
    public var absoluteThreshold: Money
    /// Consecutive beyond-threshold intervals before an alert fires, and within-threshold ones before it resolves.
    public var sustainedIntervals: Int
    /// Intervals of history before any alert (cold start).
    public var minimumHistory: Int
    /// Beyond-threshold intervals of one open anomaly after which its level becomes the new normal.
    public var adaptationIntervals: Int
    /// Which way counts.
    public var direction: AnomalyDirection
    /// The length of one interval of the series, in seconds (the cost rollups are hourly).
    public var intervalSeconds: Int

    public init(relativeThreshold: Double = 0.5, absoluteThreshold: Money = Money(nanos: Money.nanosPerUnit),
                sustainedIntervals: Int = 3, minimumHistory: Int = 48, adaptationIntervals: Int = 72,
                direction: AnomalyDirection = .up, intervalSeconds: Int = 3600) {
        self.relativeThreshold = relativeThreshold
        self.absoluteThreshold = absoluteThreshold
        self.sustainedIntervals = sustainedIntervals
        self.minimumHistory = minimumHistory
        self.adaptationIntervals = adaptationIntervals
        self.direction = direction
        self.intervalSeconds = intervalSeconds
    }

    /// The defaults: +50 % and 1.00 per hour, sustained 3 intervals, after 48 intervals of history.
    public static let standard = AnomalyConfiguration()

    enum CodingKeys: String, CodingKey {
        case relativeThreshold = "relative_threshold"
        case absoluteThreshold = "absolute_threshold"
        case sustainedIntervals = "sustained_intervals"
        case minimumHistory = "minimum_history"
        case adaptationIntervals = "adaptation_intervals"
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
        adaptationIntervals = try container.decodeIfPresent(Int.self, forKey: .adaptationIntervals) ?? defaults.adaptationIntervals
        direction = try container.decodeIfPresent(AnomalyDirection.self, forKey: .direction) ?? defaults.direction
        intervalSeconds = try container.decodeIfPresent(Int.self, forKey: .intervalSeconds) ?? defaults.intervalSeconds
    }

    /// Why the configuration is unusable, or nil.
    public var problem: FieldError? {
        guard relativeThreshold.isFinite, relativeThreshold > 0, relativeThreshold <= 100 else {
            return FieldError(code: "invalid_value", message: "relative_threshold must be a fraction above 0 and at most 100 (0.5 is +50 %)", field: "relative_threshold")
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
        guard (sustainedIntervals...100_000).contains(adaptationIntervals) else {
            return FieldError(code: "invalid_value", message: "adaptation_intervals must be from sustained_intervals to 100000", field: "adaptation_intervals")
        }
        guard (60...86_400).contains(intervalSeconds), 86_400 % intervalSeconds == 0 else {
            return FieldError(code: "invalid_value", message: "interval_seconds must divide a day and be 60...86400", field: "interval_seconds")
        }
        return nil
    }

    /// The absolute threshold per interval, in currency units.
    var absoluteThresholdPerInterval: Double {
        Double(absoluteThreshold.nanos) / Double(Money.nanosPerUnit) * Double(intervalSeconds) / 3600
    }
}
