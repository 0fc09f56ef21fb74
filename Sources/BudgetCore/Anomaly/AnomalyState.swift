/// Everything the detector keeps about one series between two points: bounded ring buffers and a few
/// numbers (about 40 KB of JSON after five weeks of hourly cost, under 96 KB on the NAB series' 5-minute
/// points), so the store keeps it as one JSON document per series and a restart resumes exactly where it was.
public struct AnomalyState: Sendable, Hashable {
    /// Bumped when the layout changes; a document of another version is dropped and the series starts cold.
    public static let formatVersion = 4
    /// The expected value is the median of the last 30 values: robust to a few odd ones, quick to follow a new level.
    static let valueCapacity = 30
    /// The noise level is measured over the last 1,000 residuals (six weeks of hourly points, 3.5 days of 5-minute ones).
    static let residualCapacity = 1_000

    /// The range test compares the last `sustained_intervals` values (or one more) with the up to 1,000 values before them.
    static let rangeCapacity = 1_000
    /// The range test needs at least this many earlier values: as many as the cold start (`minimum_history`'s
    /// default), so it can speak as soon as alerts can.
    static let rangeMinimum = 100
    /// Values kept for the range test: 1,000 earlier ones and the recent run (up to 30 intervals).
    static let rangeBufferCapacity = rangeCapacity + valueCapacity

    /// The seasonal baseline looks at the same time on each of the previous 3 days.
    static let seasonalDays = 3
    /// Three days of 1-minute points: the day vote and the seasonal baseline look up values 1 to 3 days earlier among these.
    static let dayCapacity = 1_440 * seasonalDays
    /// The seasonal baseline is chosen once its error was measured at this many points.
    static let seasonalMinimum = 10
    /// The errors of the two baselines are exponentially weighted means over about this many points.
    static let errorMemory = 100.0
    /// The run test compares the current run with the runs that ended within this many points.
    static let runMemory = 2_000

    /// The last values learnt.
    var values = RingBuffer<Double>(capacity: valueCapacity)
    /// The last 1,030 values learnt, for the range test.
    var rangeValues = RingBuffer<Double>(capacity: rangeBufferCapacity)
    /// The last 3 days' timestamps and learnt values (at most `dayCapacity` points, none older than 3 days
    /// before the last one), for the values 1 to 3 days earlier.
    var dayTimes = RingBuffer<Timestamp>(capacity: dayCapacity)
    var dayValues = RingBuffer<Double>(capacity: dayCapacity)
    /// Recent actual − expected: the noise level behind the robust z-score.
    var residuals = ResidualWindow(capacity: residualCapacity)
    /// The anomaly likelihood over the raw scores.
    var likelihood = AnomalyLikelihood()
    /// The recent mean absolute error of the regular baseline (the median, with the day vote) and of the
    /// seasonal one, and at how many points (up to `seasonalMinimum`) the seasonal one was measured.
    var regularError = 0.0
    var seasonalError = 0.0
    var seasonalMeasured = 0
    /// Runs of beyond intervals that ended within the last `runMemory` points, as (the point where it ended,
    /// its length), each longer than every run that ended after it (so the first is the longest; at most one
    /// per length, however many runs there were).
    var runs: [RecentRun] = []
    /// Points learnt so far (intervals of history; gaps do not count).
    public internal(set) var history = 0
    /// The timestamp of the last point learnt: later points only, so the detector never looks back or ahead.
    public internal(set) var lastTimestamp: Timestamp?
    /// Consecutive beyond-threshold intervals: positive above expected, negative below, 0 within.
    public internal(set) var beyondStreak = 0
    /// Consecutive within-threshold intervals while an anomaly is open.
    public internal(set) var withinStreak = 0
    /// The direction of the open anomaly, if one is open.
    public internal(set) var openDirection: AnomalyDirection?
    /// When the open anomaly fired.
    public internal(set) var openSince: Timestamp?
    /// Intervals left during which no new alert fires (after the last one fired).
    public internal(set) var quietRemaining = 0

    /// A series with no history.
    public init() {}

    /// Whether an anomaly is open (fired and not yet resolved).
    public var isOpen: Bool { openDirection != nil }

    /// The value learnt exactly `days` days before `timestamp`, if it is among the last 3 days' points.
    func value(_ days: Int, daysBefore timestamp: Timestamp) -> Double? {
        let target = timestamp - .days(Int64(days))
        var low = 0, high = dayTimes.count
        while low < high {
            let mid = (low + high) / 2
            if dayTimes[mid] < target { low = mid + 1 } else { high = mid }
        }
        return low < dayTimes.count && dayTimes[low] == target ? dayValues[low] : nil
    }

    /// The median of the values learnt exactly 1, 2 and 3 days before `timestamp`, when all three are known.
    func sameTimeOnPreviousDays(_ timestamp: Timestamp) -> Double? {
        var seen: [Double] = []
        for days in 1...Self.seasonalDays {
            guard let value = value(days, daysBefore: timestamp) else { return nil }
            seen.append(value)
        }
        return RobustStatistics.median(seen)
    }

    /// Keeps `value` at `timestamp` among the last 3 days' points, and forgets points older than that.
    mutating func learnDay(_ timestamp: Timestamp, _ value: Double) {
        dayTimes.append(timestamp)
        dayValues.append(value)
        while let oldest = dayTimes.first, oldest < timestamp - .days(Int64(Self.seasonalDays)) {
            dayTimes.removeFirst()
            dayValues.removeFirst()
        }
    }

    /// +1 when the last `run` values (the current one included, already learnt) are all above every one of
    /// the up to 1,000 values before them by more than `margin`, -1 when all below by more than `margin`, else
    /// 0; 0 with fewer than 100 earlier values or a run longer than 30.
    func outOfRange(run: Int, margin: Double = 0) -> Int {
        let count = rangeValues.count
        guard run >= 1, run <= Self.valueCapacity, count - run >= Self.rangeMinimum else { return 0 }
        let earliest = max(0, count - run - Self.rangeCapacity)
        var low = Double.infinity, high = -Double.infinity
        for index in earliest..<(count - run) {
            let value = rangeValues[index]
            low = min(low, value)
            high = max(high, value)
        }
        var recentLow = Double.infinity, recentHigh = -Double.infinity
        for index in (count - run)..<count {
            recentLow = min(recentLow, rangeValues[index])
            recentHigh = max(recentHigh, rangeValues[index])
        }
        return recentLow > high + margin ? 1 : recentHigh < low - margin ? -1 : 0
    }

    /// Records a run of `length` beyond intervals that ended at point `end` (the first point not in it).
    mutating func recordRun(end: Int, length: Int) {
        while let last = runs.last, last.length <= length { runs.removeLast() }
        runs.append(RecentRun(end: end, length: length))
    }

    /// The longest run that ended within the last `runMemory` points before point `index` (0 if none);
    /// forgets the older ones.
    mutating func longestRecentRun(at index: Int) -> Int {
        while let first = runs.first, first.end <= index - Self.runMemory { runs.removeFirst() }
        return runs.first?.length ?? 0
    }

    mutating func open(_ direction: AnomalyDirection, at timestamp: Timestamp, quiet: Int) {
        openDirection = direction
        openSince = timestamp
        withinStreak = 0
        quietRemaining = quiet
    }

    mutating func close() {
        openDirection = nil
        openSince = nil
        withinStreak = 0
    }
}

extension AnomalyState: Codable {
    enum CodingKeys: String, CodingKey {
        case version, values, residuals, likelihood, history
        case rangeValues = "range_values"
        case dayTimes = "day_times"
        case dayValues = "day_values"
        case lastTimestamp = "last_timestamp"
        case beyondStreak = "beyond_streak"
        case withinStreak = "within_streak"
        case openDirection = "open_direction"
        case openSince = "open_since"
        case quietRemaining = "quiet_remaining"
        case regularError = "regular_error"
        case seasonalError = "seasonal_error"
        case seasonalMeasured = "seasonal_measured"
        case runs
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let version = try container.decode(Int.self, forKey: .version)
        guard version == Self.formatVersion else {
            throw DecodingError.dataCorruptedError(forKey: .version, in: container, debugDescription: "anomaly state version \(version), expected \(Self.formatVersion)")
        }
        values = try Self.decodeBuffer(container, .values, capacity: Self.valueCapacity)
        rangeValues = try Self.decodeBuffer(container, .rangeValues, capacity: Self.rangeBufferCapacity)
        residuals = ResidualWindow(capacity: Self.residualCapacity, elements: try Self.decodeBuffer(container, .residuals, capacity: Self.residualCapacity).elements)
        likelihood = try container.decode(AnomalyLikelihood.self, forKey: .likelihood)
        dayValues = try Self.decodeBuffer(container, .dayValues, capacity: Self.dayCapacity)
        let times = try container.decode([Timestamp].self, forKey: .dayTimes)
        guard times.count == dayValues.count, zip(times, times.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw DecodingError.dataCorruptedError(forKey: .dayTimes, in: container, debugDescription: "one increasing timestamp per day value")
        }
        dayTimes = RingBuffer(capacity: Self.dayCapacity, elements: times)
        history = try container.decode(Int.self, forKey: .history)
        lastTimestamp = try container.decodeIfPresent(Timestamp.self, forKey: .lastTimestamp)
        beyondStreak = try container.decode(Int.self, forKey: .beyondStreak)
        withinStreak = try container.decode(Int.self, forKey: .withinStreak)
        openDirection = try container.decodeIfPresent(AnomalyDirection.self, forKey: .openDirection)
        openSince = try container.decodeIfPresent(Timestamp.self, forKey: .openSince)
        quietRemaining = try container.decode(Int.self, forKey: .quietRemaining)
        regularError = try container.decode(Double.self, forKey: .regularError)
        seasonalError = try container.decode(Double.self, forKey: .seasonalError)
        seasonalMeasured = try container.decode(Int.self, forKey: .seasonalMeasured)
        runs = try container.decode([RecentRun].self, forKey: .runs)
        guard zip(runs, runs.dropFirst()).allSatisfy({ $0.end < $1.end && $0.length > $1.length }), runs.allSatisfy({ $0.length > 0 }) else {
            throw DecodingError.dataCorruptedError(forKey: .runs, in: container, debugDescription: "runs ending later, each shorter than the one before")
        }
        guard history >= 0, withinStreak >= 0, quietRemaining >= 0, regularError.isFinite, regularError >= 0,
              seasonalError.isFinite, seasonalError >= 0, (0...Self.seasonalMinimum).contains(seasonalMeasured),
              (openDirection == nil) == (openSince == nil), openDirection != .both
        else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "inconsistent anomaly state"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.formatVersion, forKey: .version)
        try container.encode(values.elements, forKey: .values)
        try container.encode(rangeValues.elements, forKey: .rangeValues)
        try container.encode(residuals.elements, forKey: .residuals)
        try container.encode(likelihood, forKey: .likelihood)
        try container.encode(dayTimes.elements, forKey: .dayTimes)
        try container.encode(dayValues.elements, forKey: .dayValues)
        try container.encode(history, forKey: .history)
        try container.encodeIfPresent(lastTimestamp, forKey: .lastTimestamp)
        try container.encode(beyondStreak, forKey: .beyondStreak)
        try container.encode(withinStreak, forKey: .withinStreak)
        try container.encodeIfPresent(openDirection, forKey: .openDirection)
        try container.encodeIfPresent(openSince, forKey: .openSince)
        try container.encode(quietRemaining, forKey: .quietRemaining)
        try container.encode(regularError, forKey: .regularError)
        try container.encode(seasonalError, forKey: .seasonalError)
        try container.encode(seasonalMeasured, forKey: .seasonalMeasured)
        try container.encode(runs, forKey: .runs)
    }

    private static func decodeBuffer(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys, capacity: Int) throws -> RingBuffer<Double> {
        let values = try container.decode([Double].self, forKey: key)
        guard values.count <= capacity, values.allSatisfy(\.isFinite) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "at most \(capacity) finite values")
        }
        return RingBuffer(capacity: capacity, elements: values)
    }
}

/// A run of beyond intervals that has ended: where and how long.
struct RecentRun: Sendable, Hashable, Codable {
    /// The point (counted in history) where it ended.
    var end: Int
    var length: Int
}
