import Foundation

/// How unlikely the recent raw scores are, given the series' own history of raw scores: Numenta's anomaly
/// likelihood (NAB's HTM detector), with bounded state.
///
/// The mean of the last `shortWindow` raw scores is compared with the distribution of that same mean over
/// the long run (an exponentially weighted mean and variance with a memory of `longMemory` points). The
/// result is the Gaussian upper-tail probability of the recent mean: small when recent points are much more
/// unusual than this series usually is. One point moves the recent mean by at most 1/`shortWindow` of its
/// score, so evidence has to build up over several points.
public struct AnomalyLikelihood: Sendable, Hashable {
    /// Numenta's averaging window: 10 points.
    static let shortWindow = 10
    /// Numenta's historic window (8,640 points: a month of 5-minute points, a year of hourly ones), as an
    /// exponential memory. (2,000 before issue #20's fourth pass: NAB 59.7 with the rest unchanged, 60.1 with it.)
    static let longMemory = 8_640.0
    /// A variance floor, so a perfectly regular series does not alert on the first rounding error.
    static let varianceFloor = 1e-6

    var recent = RingBuffer<Double>(capacity: shortWindow)
    /// The long-run mean and variance of the recent mean, and how many points went into them.
    var mean = 0.0
    var variance = 0.0
    var count = 0

    public init() {}

    /// Adds `raw` and returns the upper-tail probability of the new recent mean under the long-run
    /// distribution learnt before it (1 until `learning` points were learnt).
    mutating func observe(_ raw: Double, learning: Int) -> Double {
        recent.append(raw)
        let elements = recent.elements
        let recentMean = elements.reduce(0, +) / Double(elements.count)
        var tail = 1.0
        if count >= learning {
            let deviation = max(variance, Self.varianceFloor).squareRoot()
            tail = 0.5 * erfc((recentMean - mean) / deviation / 2.0.squareRoot())
        }
        let weight = max(1.0 / Double(count + 1), 1.0 / Self.longMemory)
        let delta = recentMean - mean
        mean += weight * delta
        variance = (1 - weight) * (variance + weight * delta * delta)
        count += 1
        return tail
    }
}

extension AnomalyLikelihood: Codable {
    enum CodingKeys: String, CodingKey { case recent, mean, variance, count }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let values = try container.decode([Double].self, forKey: .recent)
        mean = try container.decode(Double.self, forKey: .mean)
        variance = try container.decode(Double.self, forKey: .variance)
        count = try container.decode(Int.self, forKey: .count)
        guard values.count <= Self.shortWindow, count >= 0, variance >= 0, mean.isFinite, variance.isFinite else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "inconsistent likelihood state"))
        }
        recent = RingBuffer(capacity: Self.shortWindow, elements: values)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(recent.elements, forKey: .recent)
        try container.encode(mean, forKey: .mean)
        try container.encode(variance, forKey: .variance)
        try container.encode(count, forKey: .count)
    }
}
