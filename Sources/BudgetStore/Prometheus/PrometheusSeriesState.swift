import BudgetCore

/// The newest sample of one Prometheus series, and how the next ones turn into usage.
///
/// Prometheus' own semantics, one sample at a time and without looking ahead:
/// - a gauge sample holds until the series' next sample, at most 5 minutes (staleness); when the next one is
///   later than that, the last holds one scrape interval (the spacing of its last two samples);
/// - a counter's usage is its increase between samples; a value below the previous one is a reset (the
///   counter started again from zero), so the increase is the new value; the first sample is the baseline;
/// - a staleness marker ends a gauge series at its time;
/// - a sample at or before the newest is a re-send (or out of order, which Prometheus' own storage refuses):
///   it was counted when it first came, or is not counted at all, never twice.
public struct PrometheusSeriesState: Sendable, Equatable {
    /// Milliseconds since 1970, as Prometheus stamps samples.
    public var lastAt: Int64?
    /// After the rule's scale.
    public var lastValue: Double?
    public var intervalMilliseconds: Int64?
    public var ended: Bool

    public init(lastAt: Int64? = nil, lastValue: Double? = nil, intervalMilliseconds: Int64? = nil, ended: Bool = false) {
        self.lastAt = lastAt
        self.lastValue = lastValue
        self.intervalMilliseconds = intervalMilliseconds
        self.ended = ended
    }

    /// A stretch of usage: a gauge's level over `[start, end)`, or a counter resource's amount used in it.
    public struct Piece: Sendable, Equatable {
        public var start: Int64
        public var end: Int64
        public var quantity: Double

        public init(start: Int64, end: Int64, quantity: Double) {
            self.start = start
            self.end = end
            self.quantity = quantity
        }
    }

    /// How a series' values are read.
    public struct Reading: Sendable {
        /// The series is a monotonic counter.
        public var counter: Bool
        /// The resource is a gauge (a counter series then gives its increase per second as the level).
        public var gaugeResource: Bool
        public var scale: Double
        /// How long a sample holds when the series' spacing is not known yet.
        public var loneHoldMilliseconds: Int64

        public init(counter: Bool, gaugeResource: Bool, scale: Double, loneHoldMilliseconds: Int64) {
            self.counter = counter
            self.gaugeResource = gaugeResource
            self.scale = scale
            self.loneHoldMilliseconds = loneHoldMilliseconds
        }
    }

    static let staleness = PrometheusMapping.stalenessMilliseconds

    /// How long the newest sample holds when no next one comes in time.
    var hold: Int64 { Swift.min(intervalMilliseconds ?? Self.staleness, Self.staleness) }

    /// Takes samples sorted by time (one per timestamp); returns the usage they complete and how many were re-sent.
    /// `isStale` tells a staleness marker from a value.
    public mutating func advance(
        with samples: [(timestamp: Int64, value: Double)], reading: Reading, isStale: (Double) -> Bool
    ) -> (pieces: [Piece], resent: Int) {
        var pieces: [Piece] = []
        var resent = 0
        for (time, raw) in samples {
            if let lastAt, time <= lastAt {
                resent += 1
                continue
            }
            if isStale(raw) {
                if !reading.counter, !ended, let lastAt, let lastValue, lastValue > 0 {
                    pieces.append(Piece(start: lastAt, end: Swift.min(time, lastAt + Self.staleness), quantity: lastValue))
                }
                ended = true
                lastAt = time
                continue
            }
            let value = raw * reading.scale
            if reading.counter {
                if let lastAt, let lastValue {
                    let increase = value >= lastValue ? value - lastValue : value
                    if increase > 0 {
                        let quantity = reading.gaugeResource ? increase / (Double(time - lastAt) / 1000) : increase
                        pieces.append(Piece(start: lastAt, end: time, quantity: quantity))
                    }
                }
            } else if let lastAt, let lastValue, !ended, lastValue > 0 {
                let end = time - lastAt <= Self.staleness ? time : lastAt + hold
                pieces.append(Piece(start: lastAt, end: end, quantity: lastValue))
            }
            if let lastAt, time - lastAt <= Self.staleness, !ended {
                intervalMilliseconds = time - lastAt
            } else if intervalMilliseconds == nil {
                intervalMilliseconds = reading.loneHoldMilliseconds
            }
            lastAt = time
            lastValue = value
            ended = false
        }
        return (pieces, resent)
    }

    /// Ends a series whose next sample did not come: a gauge's newest sample holds one scrape interval.
    public mutating func close() -> Piece? {
        defer { ended = true }
        guard !ended, let lastAt, let lastValue, lastValue > 0 else { return nil }
        return Piece(start: lastAt, end: lastAt + hold, quantity: lastValue)
    }
}
