/// The abnormal-growth detector: one point at a time, from the state of the series, never looking ahead.
///
/// A point is beyond when it passes both the relative and the absolute threshold against the seasonal
/// baseline (`SeasonalBaseline`). An alert fires after `sustainedIntervals` consecutive beyond intervals,
/// never during the first `minimumHistory` intervals, and resolves after as many consecutive intervals back
/// within. What the baseline learns is in `AnomalyDetector+Learning.swift`.
public enum AnomalyDetector {
    /// Assesses `point` and updates `state`; a point not later than the last one, or not finite, changes nothing.
    public static func observe(_ point: (timestamp: Timestamp, value: Double), state: inout AnomalyState,
                               configuration: AnomalyConfiguration) -> AnomalyAssessment {
        let (timestamp, actual) = point
        let coldStart = state.history < configuration.minimumHistory
        let expectation = state.baseline.expectation(at: timestamp)
        let expected = expectation?.value ?? (actual.isFinite ? actual : 0)
        let deviation = AnomalyDeviation(actual: actual, expected: expected, configuration: configuration)
        let watchedSign = configuration.direction.watches(deviation.sign) ? deviation.sign : 0
        var assessment = AnomalyAssessment(
            timestamp: timestamp, actual: actual, expected: expected, basis: expectation?.basis ?? .none,
            score: actual.isFinite ? deviation.score(direction: configuration.direction, spread: spread(state, expected)) : 0,
            isBeyond: actual.isFinite && watchedSign != 0, transition: nil, isOpen: state.isOpen,
            openDirection: state.openDirection, coldStart: coldStart,
            intervalsUntilReady: max(0, configuration.minimumHistory - state.history),
            impactPerHour: deviation.impactPerHour, impactPercent: deviation.impactPercent,
            adoptedNewLevel: false, ignored: false
        )
        if let last = state.lastTimestamp, timestamp <= last { assessment.ignored = true }
        if !actual.isFinite { assessment.ignored = true }
        if assessment.ignored { return assessment }

        // A missing interval breaks a run: growth is sustained only over intervals actually seen.
        let intervalMicroseconds = Int64(configuration.intervalSeconds) * Timestamp.microsecondsPerSecond
        if let last = state.lastTimestamp, timestamp.microseconds(since: last) >= 2 * intervalMicroseconds {
            state.beyondStreak = 0
            state.withinStreak = 0
        }
        state.beyondStreak = watchedSign == 0 ? 0
            : state.beyondStreak.signum() == watchedSign ? state.beyondStreak + watchedSign : watchedSign

        if let open = state.openDirection {
            state.withinStreak = watchedSign == open.sign ? 0 : state.withinStreak + 1
            if state.withinStreak >= configuration.sustainedIntervals {
                learnHeldSamples(&state, configuration: configuration)
                state.close()
                assessment.transition = .resolved
            }
        } else if !coldStart, abs(state.beyondStreak) >= configuration.sustainedIntervals {
            state.open(state.beyondStreak > 0 ? .up : .down, at: timestamp)
            assessment.transition = .fired
        }

        if expectation != nil {
            state.residuals.append(RobustStatistics.rounded(
                min(max(deviation.delta, -deviation.bandwidth), deviation.bandwidth),
                significantDigits: SeasonalBaseline.storedDigits
            ))
        }
        let slot = SeasonalBaseline.slot(of: timestamp).hourOfWeek
        if let open = state.openDirection, watchedSign == open.sign {
            hold(expected: expected, actual: actual, slot: slot, in: &state, configuration: configuration)
            if state.openBeyondCount >= configuration.adaptationIntervals {
                adoptOpenLevel(&state, configuration: configuration)
                assessment.adoptedNewLevel = true
            }
        } else {
            let learnt = coldStart || expectation == nil ? actual : deviation.clamped(actual, expected: expected)
            state.baseline.learn(learnt, hourOfWeek: slot)
        }
        state.history += 1
        state.lastTimestamp = timestamp
        assessment.isOpen = state.isOpen
        assessment.openDirection = state.openDirection
        return assessment
    }

    /// The robust spread of recent residuals, floored at 1 % of expected (10 % until there are 8 residuals).
    static func spread(_ state: AnomalyState, _ expected: Double) -> Double {
        let floor = max(abs(expected), AnomalyDeviation.negligibleExpected)
        guard state.residuals.count >= 8, let spread = RobustStatistics.robustSpread(state.residuals.elements) else {
            return floor * 0.1
        }
        return max(spread, floor * 0.01)
    }
}

extension AnomalyDirection {
    /// +1 for up, -1 for down, 0 for both.
    var sign: Int {
        switch self {
        case .up: 1
        case .down: -1
        case .both: 0
        }
    }
}
