/// What an expected value was computed from.
public enum BaselineBasis: String, Sendable, Hashable, Codable {
    /// No history yet: the first points of a series (expected is the actual value).
    case none
    /// The median of the last 30 values: what the detector uses.
    case recentMedian = "recent_median"
    /// The median of the last day's intervals, before each hour of the day has two values.
    case recentWindow = "recent_window"
    /// The median of the same hour of the day over the last week.
    case hourOfDay = "hour_of_day"
    /// The same hour of the week in past weeks, voting with the hour-of-day median.
    case hourOfWeek = "hour_of_week"
}

/// The expected value of a series at a time of week, learnt from its own past: bounded ring buffers per hour
/// of the day (last 7 values) and per hour of the week (last 3 values), plus the last 24 values.
///
/// Seasonality rule: once the hour of the day has 2 values (two days of history) the expected value is
/// the median of that hour over the last week; from the second week on, the same hour in each of the past
/// (up to 3) weeks votes alongside that median, and the expected value is the median of the votes. So with 3
/// weeks of history a weekly shape is followed, and one odd week cannot move it.
public struct SeasonalBaseline: Sendable, Hashable {
    static let hourOfDayCapacity = 7
    static let hourOfWeekCapacity = 3
    static let recentCapacity = 24
    /// Stored values keep 5 significant digits (0.005 %): far below any threshold, and short in JSON.
    static let storedDigits = 5

    private(set) var hourOfDay: [RingBuffer<Double>]
    private(set) var hourOfWeek: [RingBuffer<Double>]
    private(set) var recent: RingBuffer<Double>

    /// A baseline with no history.
    public init() {
        hourOfDay = Array(repeating: RingBuffer(capacity: Self.hourOfDayCapacity), count: 24)
        hourOfWeek = Array(repeating: RingBuffer(capacity: Self.hourOfWeekCapacity), count: 168)
        recent = RingBuffer(capacity: Self.recentCapacity)
    }

    init(hourOfDay: [[Double]], hourOfWeek: [[Double]], recent: [Double]) {
        self.hourOfDay = hourOfDay.map { RingBuffer(capacity: Self.hourOfDayCapacity, elements: $0) }
        self.hourOfWeek = hourOfWeek.map { RingBuffer(capacity: Self.hourOfWeekCapacity, elements: $0) }
        self.recent = RingBuffer(capacity: Self.recentCapacity, elements: recent)
    }

    /// The expected value at `timestamp` and what it came from; nil before the first value.
    public func expectation(at timestamp: Timestamp) -> (value: Double, basis: BaselineBasis)? {
        let slot = Self.slot(of: timestamp)
        let day = hourOfDay[slot.hourOfDay]
        if day.count >= 2, let dayMedian = RobustStatistics.median(day.elements) {
            let week = hourOfWeek[slot.hourOfWeek]
            guard !week.isEmpty, let voted = RobustStatistics.median(week.elements + [dayMedian]) else {
                return (dayMedian, .hourOfDay)
            }
            return (voted, .hourOfWeek)
        }
        guard let recentMedian = RobustStatistics.median(recent.elements) else { return nil }
        return (recentMedian, .recentWindow)
    }

    /// Learns `value` as the series' value at `timestamp`.
    public mutating func learn(_ value: Double, at timestamp: Timestamp) {
        learn(value, hourOfWeek: Self.slot(of: timestamp).hourOfWeek)
    }

    /// Learns `value` as the series' value at hour `hourOfWeek` (0...167) of the week.
    mutating func learn(_ value: Double, hourOfWeek slot: Int) {
        let stored = RobustStatistics.rounded(value, significantDigits: Self.storedDigits)
        hourOfDay[slot % 24].append(stored)
        hourOfWeek[slot].append(stored)
        recent.append(stored)
    }

    /// Moves every learnt value to a new level: `value × factor + offset`, keeping the seasonal shape.
    mutating func rebase(factor: Double, offset: Double) {
        rebase(factor: factor, offsets: Array(repeating: offset, count: 24), recentOffset: offset)
    }

    /// Moves every learnt value to `value × factor + offsets[hour of the day]` (the recent window by `recentOffset`).
    mutating func rebase(factor: Double, offsets: [Double], recentOffset: Double) {
        func moved(_ offset: Double) -> (Double) -> Double {
            { RobustStatistics.rounded($0 * factor + offset, significantDigits: Self.storedDigits) }
        }
        for hour in 0..<24 {
            hourOfDay[hour].mapInPlace(moved(offsets[hour]))
            for weekday in 0..<7 { hourOfWeek[weekday * 24 + hour].mapInPlace(moved(offsets[hour])) }
        }
        recent.mapInPlace(moved(recentOffset))
    }

    /// The hour of the day (0...23) and of the week (0...167, Monday 00:00 UTC is 0) of `timestamp`.
    static func slot(of timestamp: Timestamp) -> (hourOfDay: Int, hourOfWeek: Int) {
        let (days, microsecondOfDay) = Timestamp.floorDivision(timestamp.microsecondsSinceEpoch, Timestamp.microsecondsPerDay)
        let hour = Int(microsecondOfDay / Timestamp.microsecondsPerHour)
        // 1970-01-01 was a Thursday: day 0 is weekday 3 counting from Monday.
        let weekday = Int(Timestamp.floorDivision(days + 3, 7).remainder)
        return (hour, weekday * 24 + hour)
    }
}

extension SeasonalBaseline: Codable {
    enum CodingKeys: String, CodingKey {
        case hourOfDay = "hour_of_day"
        case hourOfWeek = "hour_of_week"
        case recent
    }

    /// Plain arrays, oldest value first; the capacities are the type's, so the document stays small.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let hourOfDay = try container.decode([[Double]].self, forKey: .hourOfDay)
        let hourOfWeek = try container.decode([[Double]].self, forKey: .hourOfWeek)
        let recent = try container.decode([Double].self, forKey: .recent)
        guard hourOfDay.count == 24, hourOfDay.allSatisfy({ $0.count <= Self.hourOfDayCapacity }) else {
            throw DecodingError.dataCorruptedError(forKey: .hourOfDay, in: container, debugDescription: "expected 24 buckets of at most \(Self.hourOfDayCapacity) values")
        }
        guard hourOfWeek.count == 168, hourOfWeek.allSatisfy({ $0.count <= Self.hourOfWeekCapacity }) else {
            throw DecodingError.dataCorruptedError(forKey: .hourOfWeek, in: container, debugDescription: "expected 168 buckets of at most \(Self.hourOfWeekCapacity) values")
        }
        guard recent.count <= Self.recentCapacity else {
            throw DecodingError.dataCorruptedError(forKey: .recent, in: container, debugDescription: "at most \(Self.recentCapacity) recent values")
        }
        self.init(hourOfDay: hourOfDay, hourOfWeek: hourOfWeek, recent: recent)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(hourOfDay.map(\.elements), forKey: .hourOfDay)
        try container.encode(hourOfWeek.map(\.elements), forKey: .hourOfWeek)
        try container.encode(recent.elements, forKey: .recent)
    }
}
