/// How far one actual value is from its expected value, measured against the thresholds.
struct AnomalyDeviation {
    /// Below this |expected| (one nano-unit) the relative threshold is meaningless: only the absolute one counts.
    static let negligibleExpected = 1e-9

    let delta: Double
    let impactPerHour: Money
    let impactPercent: Double?
    /// +1 beyond both thresholds above expected, -1 beyond both below, 0 within (whatever is watched).
    let sign: Int
    /// Half-width of the band inside which a value counts as normal: the larger of the two thresholds.
    let bandwidth: Double

    init(actual: Double, expected: Double, configuration: AnomalyConfiguration) {
        delta = actual - expected
        let magnitude = abs(expected)
        impactPerHour = AnomalyAssessment.money(delta * 3600 / Double(configuration.intervalSeconds))
        impactPercent = magnitude >= Self.negligibleExpected ? delta / magnitude * 100 : nil
        let relative = magnitude >= Self.negligibleExpected ? delta / magnitude : (delta > 0 ? .infinity : delta < 0 ? -.infinity : 0)
        let threshold = configuration.absoluteThreshold.nanos
        if relative >= configuration.relativeThreshold, impactPerHour.nanos >= threshold, delta > 0 {
            sign = 1
        } else if -relative >= configuration.relativeThreshold, -impactPerHour.nanos >= threshold, delta < 0 {
            sign = -1
        } else {
            sign = 0
        }
        bandwidth = Self.bandwidth(expected: expected, configuration: configuration)
    }

    /// Half-width of the normal band around `expected`.
    static func bandwidth(expected: Double, configuration: AnomalyConfiguration) -> Double {
        max(configuration.relativeThreshold * abs(expected), configuration.absoluteThresholdPerInterval)
    }

    /// `actual` clamped into the normal band around `expected`: what the baseline learns after the cold start.
    func clamped(_ actual: Double, expected: Double) -> Double {
        min(max(actual, expected - bandwidth), expected + bandwidth)
    }

    /// The anomaly score for `direction`: z ÷ (z + 3), z the deviation on the watched side over `spread`.
    func score(direction: AnomalyDirection, spread: Double) -> Double {
        let watched: Double = switch direction {
        case .up: max(0, delta)
        case .down: max(0, -delta)
        case .both: abs(delta)
        }
        guard watched > 0 else { return 0 }
        let z = watched / spread
        return z.isFinite ? z / (z + 3) : 1
    }
}
