/// How far one actual value is from its expected value, measured against the thresholds.
struct AnomalyDeviation {
    /// Below this |expected| (one nano-unit) the relative threshold is meaningless: only the absolute one counts.
    static let negligibleExpected = 1e-9

    let delta: Double
    let impactPerHour: Money
    let impactPercent: Double?
    /// +1 beyond both thresholds above expected, -1 beyond both below, 0 within (whatever is watched).
    let sign: Int

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
    }
}
