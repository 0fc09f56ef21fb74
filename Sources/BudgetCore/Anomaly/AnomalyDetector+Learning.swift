// What the baseline learns, and when.
//
// - During the cold start every value is learnt as it is: there is nothing to protect yet.
// - Afterwards a value is learnt clamped into the normal band (expected ± the larger threshold), so a spike
//   moves a median by one rank at most, and only by the threshold.
// - While an anomaly is open its beyond intervals are held out of the baseline for a day (the last 24 are
//   kept with their expected values), then learnt clamped; when it resolves the held ones are learnt,
//   clamped, too. So a pattern that keeps coming back (a new nightly batch, busy weekends) is learnt over a
//   few occurrences instead of alerting forever, and the baseline never sees an anomaly's last day raw.
// - After `adaptationIntervals` beyond intervals the anomaly's level becomes the new normal: the baseline is
//   rebased onto it (`adoptOpenLevel`), then the held values are learnt against the rebased baseline.
extension AnomalyDetector {
    static func hold(expected: Double, actual: Double, slot: Int, in state: inout AnomalyState, configuration: AnomalyConfiguration) {
        state.openBeyondCount += 1
        if state.openActual.isFull, let slot = state.openSlots.first, let expected = state.openExpected.first, let actual = state.openActual.first {
            // Older than the held day: learnt now, clamped, as after a resolution.
            let band = AnomalyDeviation.bandwidth(expected: expected, configuration: configuration)
            state.baseline.learn(min(max(actual, expected - band), expected + band), hourOfWeek: slot)
        }
        state.openExpected.append(RobustStatistics.rounded(expected, significantDigits: SeasonalBaseline.storedDigits))
        state.openActual.append(RobustStatistics.rounded(actual, significantDigits: SeasonalBaseline.storedDigits))
        state.openSlots.append(slot)
    }

    /// Learns the held samples, each clamped into the band around `expected(sample)`, and forgets them.
    static func learnHeldSamples(_ state: inout AnomalyState, configuration: AnomalyConfiguration,
                                 expected rebased: (_ expected: Double, _ slot: Int) -> Double = { expected, _ in expected }) {
        let samples = zip(state.openSlots.elements, zip(state.openExpected.elements, state.openActual.elements))
        for (slot, (expected, actual)) in samples {
            let center = rebased(expected, slot)
            let band = AnomalyDeviation.bandwidth(expected: center, configuration: configuration)
            state.baseline.learn(min(max(actual, center - band), center + band), hourOfWeek: slot)
        }
        state.clearOpenSamples()
    }

    /// Rebases the baseline onto the open anomaly's level. When the old level was meaningful, every learnt
    /// value is scaled by the ratio of the medians of actual and expected over the held intervals, which keeps
    /// the seasonal shape. When it was (about) zero or the ratio is extreme (a new service) the old shape is
    /// noise: each hour of the day is shifted by that hour's own actual − expected, so the new shape is taken
    /// from the last day seen.
    static func adoptOpenLevel(_ state: inout AnomalyState, configuration: AnomalyConfiguration) {
        let expectedValues = state.openExpected.elements, actualValues = state.openActual.elements
        guard let expected = RobustStatistics.median(expectedValues), let actual = RobustStatistics.median(actualValues) else { return }
        let ratio = actual / expected
        if expected > AnomalyDeviation.negligibleExpected, ratio.isFinite, (0.05...20).contains(ratio) {
            state.baseline.rebase(factor: ratio, offset: 0)
            state.residuals.mapInPlace { RobustStatistics.rounded($0 * ratio, significantDigits: SeasonalBaseline.storedDigits) }
            learnHeldSamples(&state, configuration: configuration) { expected, _ in expected * ratio }
        } else {
            let overall = actual - expected
            var deltas = Array(repeating: [Double](), count: 24)
            for (slot, (expected, actual)) in zip(state.openSlots.elements, zip(expectedValues, actualValues)) {
                deltas[slot % 24].append(actual - expected)
            }
            let offsets = deltas.map { RobustStatistics.median($0) ?? overall }
            state.baseline.rebase(factor: 1, offsets: offsets, recentOffset: overall)
            learnHeldSamples(&state, configuration: configuration) { expected, slot in expected + offsets[slot % 24] }
        }
        state.openBeyondCount = 0
    }
}
