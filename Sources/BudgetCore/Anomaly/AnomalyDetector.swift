import Foundation

/// The abnormal-growth detector: one point at a time, from the state of the series, never looking ahead.
///
/// 1. Expected value: the median of the last 30 values (`AnomalyState.valueCapacity`); when the value of
///    exactly a day earlier was seen, the midpoint of the two (a daily shape is half followed); or, while it
///    has recently forecast better, the median of the values learnt at the same time on the previous 3 days.
/// 2. Raw score: the robust z-score of actual − expected against the last 1,000 residuals (their median and
///    1.4826 × MAD, the spread floored at 10 % of |expected|), on the watched side; deviations within
///    1.5 robust standard deviations carry no evidence; beyond that the score is log(1 + excess), so a huge
///    spike counts for a few ordinary outliers, not for a thousand.
/// 3. Likelihood (`AnomalyLikelihood`): how unusual the mean of the last 10 raw scores is against its own
///    long-run distribution for this series. Evidence: its tail probability at most 1e-5.
/// 4. An alert fires on that evidence, or on the range test's (the run has left the range of the earlier
///    values: clearly over `sustainedIntervals` points, or at all over one more), or on the run test's (the
///    run is more than twice as long as every run of the last 2,000 points), once the last
///    `sustainedIntervals` (2: never one spike) points were all beyond: past the
///    thresholds (relative and absolute impact) and past the evidence floor, in one watched direction, never during the first
///    `minimumHistory` points and never within the quiet period of the last alert; it resolves after
///    `sustainedIntervals` consecutive intervals not beyond in its direction.
public enum AnomalyDetector {
    /// Robust z-scores up to this carry no evidence.
    static let evidenceFloor = 1.5
    /// The likelihood's tail probability at or below which the recent points are abnormal (Numenta's NAB threshold).
    static let tailThreshold = 1e-5
    /// The robust spread is at least this share of |expected|: quantised or constant series have no MAD.
    static let spreadFloor = 0.1
    /// The run test: a run is abnormal when longer than this many times every recent run, and at least `runMinimum` long.
    static let runFactor = 2.0
    static let runMinimum = 3

    /// Assesses `point` and updates `state`; a point not later than the last one, or not finite, changes nothing.
    public static func observe(_ point: (timestamp: Timestamp, value: Double), state: inout AnomalyState,
                               configuration: AnomalyConfiguration) -> AnomalyAssessment {
        let (timestamp, actual) = point
        let coldStart = state.history < configuration.minimumHistory
        let values = state.values.elements
        var baseline: Double? = values.count >= 3 ? RobustStatistics.median(values) : nil
        var basis: BaselineBasis = baseline == nil ? .none : .recentMedian
        // Seasonal vote: the value a day earlier, when seen, pulls the expected value half way towards it.
        if let recent = baseline, let dayAgo = state.value(1, daysBefore: timestamp) {
            baseline = RobustStatistics.median([dayAgo, recent])
            basis = .recentAndDayBefore
        }
        // Seasonal baseline: the same time on each of the previous 3 days, used while it has recently predicted
        // better (a lower mean absolute error over about 100 points) — model choice by forecast error.
        let regular = baseline
        let seasonal = regular == nil ? nil : state.sameTimeOnPreviousDays(timestamp)
        if let seasonal, state.seasonalMeasured >= AnomalyState.seasonalMinimum, state.seasonalError < state.regularError {
            baseline = seasonal
            basis = .previousDays
        }
        let expected = baseline ?? (actual.isFinite ? actual : 0)
        let deviation = AnomalyDeviation(actual: actual, expected: expected, configuration: configuration)
        // The residual's robust z-score against the noise of the series (0 before there is a baseline).
        let (z, spread) = baseline == nil || !actual.isFinite ? (0, 0) : robustZ(deviation.delta, residuals: state.residuals, expected: expected)
        // Beyond: past the impact thresholds and carrying evidence (|z| above the evidence floor), in a watched direction.
        let evident = deviation.sign > 0 ? z > evidenceFloor : z < -evidenceFloor
        let watchedSign = evident && configuration.direction.watches(deviation.sign) ? deviation.sign : 0
        var assessment = AnomalyAssessment(
            timestamp: timestamp, actual: actual, expected: expected, basis: basis,
            score: 0, isBeyond: actual.isFinite && watchedSign != 0, transition: nil, isOpen: state.isOpen,
            openDirection: state.openDirection, coldStart: coldStart,
            intervalsUntilReady: max(0, configuration.minimumHistory - state.history),
            impactPerHour: deviation.impactPerHour, impactPercent: deviation.impactPercent, ignored: false
        )
        if let last = state.lastTimestamp, timestamp <= last { assessment.ignored = true }
        if !actual.isFinite { assessment.ignored = true }
        if assessment.ignored { return assessment }

        if baseline != nil { state.residuals.append(deviation.delta) }
        if let regular {
            let weight = 1 / AnomalyState.errorMemory
            state.regularError += weight * (abs(actual - regular) - state.regularError)
            if let seasonal {
                state.seasonalError += weight * (abs(actual - seasonal) - state.seasonalError)
                state.seasonalMeasured = min(state.seasonalMeasured + 1, AnomalyState.seasonalMinimum)
            }
        }
        let watchedZ: Double = switch configuration.direction {
        case .up: z
        case .down: -z
        case .both: abs(z)
        }
        let raw = log1p(max(watchedZ - evidenceFloor, 0))
        let tail = state.likelihood.observe(raw, learning: configuration.minimumHistory)
        assessment.score = 1 - tail

        // A missing interval breaks a run: growth is sustained only over intervals actually seen. A run that
        // ends (here, or at a point not beyond) is remembered for the run test.
        let index = state.history
        let intervalMicroseconds = Int64(configuration.intervalSeconds) * Timestamp.microsecondsPerSecond
        if let last = state.lastTimestamp, timestamp.microseconds(since: last) >= 2 * intervalMicroseconds {
            if state.beyondStreak != 0 { state.recordRun(end: index, length: abs(state.beyondStreak)) }
            state.beyondStreak = 0
            state.withinStreak = 0
        }
        if state.beyondStreak != 0, watchedSign == 0 { state.recordRun(end: index, length: abs(state.beyondStreak)) }
        // Watching both ways, a run may swing across the expected value (an oscillation is one abnormal stretch);
        // its sign is the latest point's.
        state.beyondStreak = watchedSign == 0 ? 0
            : state.beyondStreak.signum() == watchedSign ? state.beyondStreak + watchedSign
            : configuration.direction == .both ? watchedSign * (abs(state.beyondStreak) + 1) : watchedSign

        if let open = state.openDirection {
            state.withinStreak = watchedSign == open.sign ? 0 : state.withinStreak + 1
            if state.withinStreak >= configuration.sustainedIntervals {
                state.close()
                assessment.transition = .resolved
            }
        }
        // Range test: the sustained run has left the range of the (100 to 1,000) values before it, the same
        // way, clearly (by more than the evidence floor's robust standard deviations) — or, one interval
        // longer, at all: a slow failure creeps past the old extremes, an organic trend only nudges them.
        state.rangeValues.append(actual)
        let run = configuration.sustainedIntervals
        let clearly = state.outOfRange(run: run, margin: evidenceFloor * spread)
        let outOfRange = clearly != 0 ? clearly
            : abs(state.beyondStreak) > run ? state.outOfRange(run: run + 1, margin: 0) : 0
        // Run test: the series has stayed off its expected value more than twice as long as in any run that
        // ended in the last 2,000 points (and at least 3 intervals) — a level shift or a changed shape that
        // the 10-point likelihood misses once the series' usual swings have widened its long-run spread.
        let longest = state.longestRecentRun(at: index)
        let runLength = abs(state.beyondStreak)
        let outlasts = index >= AnomalyState.rangeMinimum && runLength >= Self.runMinimum && Double(runLength) > Self.runFactor * Double(longest)
        let evidence = tail <= tailThreshold || (outOfRange != 0 && outOfRange == state.beyondStreak.signum()) || outlasts
        if state.quietRemaining > 0 {
            state.quietRemaining -= 1
        } else if !state.isOpen, assessment.transition == nil, !coldStart, evidence,
                  abs(state.beyondStreak) >= configuration.sustainedIntervals {
            state.open(state.beyondStreak > 0 ? .up : .down, at: timestamp, quiet: configuration.quietPeriod)
            assessment.transition = .fired
        }

        state.values.append(actual)
        // The day memory keeps what was expected in place of an outlier (|z| past the evidence floor either
        // way), so an anomaly today does not make tomorrow's normal look abnormal.
        state.learnDay(timestamp, abs(z) > evidenceFloor ? expected : actual)
        state.history += 1
        state.lastTimestamp = timestamp
        assessment.isOpen = state.isOpen
        assessment.openDirection = state.openDirection
        return assessment
    }

    /// (delta − median residual) ÷ robust spread of the residuals (0 and 0 with fewer than 8), the spread
    /// floored at `spreadFloor` × |expected| and at 1e-9; and that spread.
    static func robustZ(_ delta: Double, residuals: ResidualWindow, expected: Double) -> (z: Double, spread: Double) {
        var center = 0.0, spread = 0.0
        if residuals.count >= 8, let (median, mad) = residuals.medianAndDeviation() {
            center = median
            spread = RobustStatistics.normalConsistency * mad
        }
        let floored = max(max(spread, spreadFloor * abs(expected)), 1e-9)
        return ((delta - center) / floored, floored)
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
