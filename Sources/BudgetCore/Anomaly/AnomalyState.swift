/// Everything the detector keeps about one series between two points: bounded (about 6 KB of JSON),
/// so the store keeps it as one JSON document per series and a restart resumes with the same baseline.
public struct AnomalyState: Sendable, Hashable {
    /// Bumped when the layout changes; a document of another version is dropped and the series starts cold.
    public static let formatVersion = 1
    static let residualCapacity = 48
    static let openSampleCapacity = 24

    /// The learnt expected values.
    public internal(set) var baseline = SeasonalBaseline()
    /// Points learnt so far (intervals of history; gaps do not count).
    public internal(set) var history = 0
    /// The timestamp of the last point learnt: later points only, so the detector never looks back or ahead.
    public internal(set) var lastTimestamp: Timestamp?
    /// Recent actual − expected, clamped to the alert band: the noise level behind the score.
    var residuals = RingBuffer<Double>(capacity: residualCapacity)
    /// Consecutive beyond-threshold intervals: positive above expected, negative below, 0 within.
    public internal(set) var beyondStreak = 0
    /// Consecutive within-threshold intervals while an anomaly is open.
    public internal(set) var withinStreak = 0
    /// The direction of the open anomaly, if one is open.
    public internal(set) var openDirection: AnomalyDirection?
    /// When the open anomaly fired.
    public internal(set) var openSince: Timestamp?
    /// Beyond-threshold intervals of the open anomaly since it fired (or since its level was adopted).
    public internal(set) var openBeyondCount = 0
    /// Expected and actual values of the open anomaly's latest beyond intervals: kept out of the baseline
    /// while it is open, they measure its new level and are learnt (clamped) when it ends.
    var openExpected = RingBuffer<Double>(capacity: openSampleCapacity)
    var openActual = RingBuffer<Double>(capacity: openSampleCapacity)
    /// The hour of the week (0...167) of each of those intervals.
    var openSlots = RingBuffer<Int>(capacity: openSampleCapacity)

    /// A series with no history.
    public init() {}

    /// Whether an anomaly is open (fired and not yet resolved).
    public var isOpen: Bool { openDirection != nil }

    mutating func open(_ direction: AnomalyDirection, at timestamp: Timestamp) {
        openDirection = direction
        openSince = timestamp
        openBeyondCount = 0
        withinStreak = 0
        clearOpenSamples()
    }

    mutating func clearOpenSamples() {
        openExpected.removeAll()
        openActual.removeAll()
        openSlots.removeAll()
    }

    mutating func close() {
        openDirection = nil
        openSince = nil
        openBeyondCount = 0
        withinStreak = 0
        clearOpenSamples()
    }
}

extension AnomalyState: Codable {
    enum CodingKeys: String, CodingKey {
        case version, baseline, history, residuals
        case lastTimestamp = "last_timestamp"
        case beyondStreak = "beyond_streak"
        case withinStreak = "within_streak"
        case openDirection = "open_direction"
        case openSince = "open_since"
        case openBeyondCount = "open_beyond_count"
        case openExpected = "open_expected"
        case openActual = "open_actual"
        case openSlots = "open_slots"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let version = try container.decode(Int.self, forKey: .version)
        guard version == Self.formatVersion else {
            throw DecodingError.dataCorruptedError(forKey: .version, in: container, debugDescription: "anomaly state version \(version), expected \(Self.formatVersion)")
        }
        baseline = try container.decode(SeasonalBaseline.self, forKey: .baseline)
        history = try container.decode(Int.self, forKey: .history)
        lastTimestamp = try container.decodeIfPresent(Timestamp.self, forKey: .lastTimestamp)
        residuals = try Self.decodeBuffer(container, .residuals, capacity: Self.residualCapacity)
        beyondStreak = try container.decode(Int.self, forKey: .beyondStreak)
        withinStreak = try container.decode(Int.self, forKey: .withinStreak)
        openDirection = try container.decodeIfPresent(AnomalyDirection.self, forKey: .openDirection)
        openSince = try container.decodeIfPresent(Timestamp.self, forKey: .openSince)
        openBeyondCount = try container.decode(Int.self, forKey: .openBeyondCount)
        openExpected = try Self.decodeBuffer(container, .openExpected, capacity: Self.openSampleCapacity)
        openActual = try Self.decodeBuffer(container, .openActual, capacity: Self.openSampleCapacity)
        let slots = try container.decode([Int].self, forKey: .openSlots)
        guard slots.count == openActual.count, slots.allSatisfy({ (0..<168).contains($0) }) else {
            throw DecodingError.dataCorruptedError(forKey: .openSlots, in: container, debugDescription: "one hour of the week (0...167) per open sample")
        }
        openSlots = RingBuffer(capacity: Self.openSampleCapacity, elements: slots)
        guard history >= 0, withinStreak >= 0, openBeyondCount >= 0, openExpected.count == openActual.count,
              (openDirection == nil) == (openSince == nil), openDirection != .both
        else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "inconsistent anomaly state"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.formatVersion, forKey: .version)
        try container.encode(baseline, forKey: .baseline)
        try container.encode(history, forKey: .history)
        try container.encodeIfPresent(lastTimestamp, forKey: .lastTimestamp)
        try container.encode(residuals.elements, forKey: .residuals)
        try container.encode(beyondStreak, forKey: .beyondStreak)
        try container.encode(withinStreak, forKey: .withinStreak)
        try container.encodeIfPresent(openDirection, forKey: .openDirection)
        try container.encodeIfPresent(openSince, forKey: .openSince)
        try container.encode(openBeyondCount, forKey: .openBeyondCount)
        try container.encode(openExpected.elements, forKey: .openExpected)
        try container.encode(openActual.elements, forKey: .openActual)
        try container.encode(openSlots.elements, forKey: .openSlots)
    }

    private static func decodeBuffer(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys, capacity: Int) throws -> RingBuffer<Double> {
        let values = try container.decode([Double].self, forKey: key)
        guard values.count <= capacity else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "at most \(capacity) values")
        }
        return RingBuffer(capacity: capacity, elements: values)
    }
}
