import Foundation
import Testing
import BudgetCore

/// Replays values, one per hour from Monday 2025-01-06 00:00 UTC, through the detector.
private func replay(_ values: [Double], configuration: AnomalyConfiguration = .standard,
                    state: inout AnomalyState, from first: Int = 0) -> [AnomalyAssessment] {
    values.enumerated().map { offset, value in
        let timestamp = SyntheticSeries.epoch + .hours(Int64(first + offset))
        return AnomalyDetector.observe((timestamp, value), state: &state, configuration: configuration)
    }
}

private func replay(_ values: [Double], configuration: AnomalyConfiguration = .standard) -> [AnomalyAssessment] {
    var state = AnomalyState()
    return replay(values, configuration: configuration, state: &state)
}

private func indices(_ assessments: [AnomalyAssessment], _ transition: AnomalyAssessment.Transition) -> [Int] {
    assessments.indices.filter { assessments[$0].transition == transition }
}

/// A flat 10.00 per hour with a small deterministic wobble (±2 %).
private func flat(_ count: Int, level: Double = 10) -> [Double] {
    (0..<count).map { level * (1 + 0.02 * Double([0, 1, -1, 2, -2, 1, 0][$0 % 7]) / 2) }
}

@Suite struct AnomalyDetectorTests {
    @Test func oneSpikeRaisesNothing() {
        var values = flat(260)
        values[150] = 80
        values[200] = 60  // a spike, however large, is one interval: never a run
        let assessments = replay(values)
        #expect(assessments[150].isBeyond && assessments[150].score > 0.9)
        #expect(assessments[200].isBeyond)
        #expect(assessments.allSatisfy { $0.transition == nil && !$0.isOpen })
    }

    /// Issue #20: two intervals in a row, both outside everything the series did before, are sustained (the
    /// shared design's rule is "no alert on one transient spike"; NAB's realAdExchange anomalies are such pairs).
    @Test func twoIntervalsInARowOutOfRangeFire() throws {
        var values = flat(260)
        values[200] = 60
        values[201] = 60
        let assessments = replay(values)
        #expect(assessments[200].isBeyond && assessments[200].transition == nil)
        #expect(indices(assessments, .fired) == [201])
        #expect(assessments[201].openDirection == .up)
    }

    @Test func sustainedDoublingFiresWithinAFewIntervalsAndResolvesOnTheSecondBack() throws {
        var values = flat(260)
        for index in 150..<180 { values[index] *= 2 }
        let assessments = replay(values)
        let fired = try #require(indices(assessments, .fired).first)
        #expect(indices(assessments, .fired) == [fired])
        #expect((151...155).contains(fired), "fired at \(fired)")
        #expect(assessments[fired].isOpen && assessments[fired].openDirection == .up)
        #expect(abs(assessments[fired].expected - 10) < 0.5)
        #expect(abs(assessments[fired].impactPercent! - 100) < 10)
        #expect(assessments[fired].impactPerHour == Money(nanos: Int64(((assessments[fired].actual - assessments[fired].expected) * 1e9).rounded())))
        #expect(!assessments[fired].coldStart && assessments[fired].intervalsUntilReady == 0)
        // Back to normal: resolved once two intervals are not beyond (the median follows a level within 15 points).
        let resolved = try #require(indices(assessments, .resolved).first)
        #expect(resolved > fired && resolved <= 183)
        #expect(!assessments[resolved].isOpen)
    }

    @Test func growthBelowTheAbsoluteThresholdRaisesNothing() {
        // A 0.50 per hour series growing 80 %: +0.40 per hour, under the 1.00 threshold.
        var values = flat(260, level: 0.5)
        for index in 150..<260 { values[index] *= 1.8 }
        let assessments = replay(values)
        #expect(assessments[151].impactPercent! > 50)
        #expect(assessments.allSatisfy { !$0.isBeyond && $0.transition == nil })
        // The same growth fires once the absolute threshold is lowered to 0.10.
        var configuration = AnomalyConfiguration.standard
        configuration.absoluteThreshold = Money(nanos: 100_000_000)
        #expect(indices(replay(values, configuration: configuration), .fired).count == 1)
    }

    @Test func aRelativeThresholdWhenSetMustAlsoBePassed() {
        var values = flat(260, level: 100)
        for index in 150..<260 { values[index] *= 1.3 }  // +30 per hour, +30 %: abnormal for so flat a series
        #expect(indices(replay(values), .fired).count == 1)
        var configuration = AnomalyConfiguration.standard
        configuration.relativeThreshold = 0.5
        #expect(replay(values, configuration: configuration).allSatisfy { $0.transition == nil })
    }

    @Test func coldStartRaisesNothingEvenForHugeGrowth() {
        var values = flat(100)
        for index in 10..<100 { values[index] *= 10 }
        let assessments = replay(values)
        #expect(assessments.allSatisfy { $0.coldStart && $0.transition == nil })
        #expect(assessments.map(\.intervalsUntilReady) == Array((1...100).reversed()))
        #expect(assessments[0].basis == .none && assessments[0].expected == assessments[0].actual)
        #expect(assessments[0].status == "learning the baseline: no growth alerts for 100 more intervals")
        #expect(assessments[99].status == "learning the baseline: no growth alerts for 1 more interval")
    }

    @Test func declinesFireWhenWatchedAndOnlyThen() throws {
        var values = flat(400)
        // Ten intervals each: short of what the 30-point median adopts, so neither return looks abnormal.
        for index in 150..<160 { values[index] *= 0.3 }
        for index in 300..<310 { values[index] *= 2.5 }
        // One alert each: the fall does not echo as growth a day later (the day memory kept the expected values).
        let up = indices(replay(values), .fired)
        #expect(up.count == 1 && (300...305).contains(up[0]), "\(up)")

        var down = AnomalyConfiguration.standard
        down.direction = .down
        let declines = replay(values, configuration: down)
        let fell = indices(declines, .fired)
        #expect(fell.count == 1 && (150...155).contains(fell[0]), "\(fell)")
        #expect(declines[fell[0]].openDirection == .down && declines[fell[0]].impactPerHour.isNegative)

        var both = AnomalyConfiguration.standard
        both.direction = .both
        let either = replay(values, configuration: both)
        let fired = indices(either, .fired)
        #expect(fired.count == 2 && (150...155).contains(fired[0]) && (300...305).contains(fired[1]), "\(fired)")
        #expect(either[fired[0]].openDirection == .down && either[fired[1]].openDirection == .up)
        #expect(indices(either, .resolved).count == 2)
    }

    @Test func aNewServiceIsJudgedByTheAbsoluteThresholdAlone() throws {
        var values = Array(repeating: 0.0, count: 200)
        for index in 150..<200 { values[index] = 4 }
        let assessments = replay(values)
        let fired = indices(assessments, .fired)
        #expect(fired.count == 1 && (151...154).contains(fired[0]), "\(fired)")
        let first = assessments[fired[0]]
        #expect(first.expected == 0 && first.impactPercent == nil)
        #expect(first.impactPerHour == Money(nanos: 4_000_000_000))
        #expect(first.status == "actual 4.00 vs expected 0.00 (+4.00/h)")
        // 0.50 per hour from nothing stays under the absolute threshold.
        #expect(replay(values.map { $0 / 8 }).allSatisfy { $0.transition == nil })
    }

    @Test func noNewAlertWithinTheQuietIntervals() {
        var values = flat(400)
        for index in 150..<160 { values[index] *= 2 }
        for index in 180..<190 { values[index] *= 2 }  // 30 intervals later: within the default 50
        #expect(indices(replay(values), .fired).count == 1)
        var configuration = AnomalyConfiguration.standard
        configuration.quietIntervals = 0
        #expect(indices(replay(values, configuration: configuration), .fired).count == 2)
    }

    /// Issue #20's fourth pass: on a 5-minute series, 50 intervals are only about four hours; the quiet period is
    /// the longer of `quiet_intervals` and `quiet_seconds` (6 hours, 72 intervals here).
    @Test func theQuietPeriodIsAlsoSixHoursOnAFineSeries() {
        var values = flat(400)
        for index in 150..<160 { values[index] *= 2 }
        // 55 intervals (4 h 35 min) later, past everything before: past 50 intervals, within 6 hours.
        for index in 205..<213 { values[index] *= 3 }
        var fine = AnomalyConfiguration.standard
        fine.intervalSeconds = 300
        func fired(_ configuration: AnomalyConfiguration) -> [Int] {
            var state = AnomalyState()
            return values.enumerated().filter { offset, value in
                AnomalyDetector.observe((SyntheticSeries.epoch + .minutes(Int64(5 * offset)), value), state: &state, configuration: configuration).transition == .fired
            }.map(\.offset)
        }
        #expect(fine.quietPeriod == 72)
        #expect(fired(fine).count == 1, "\(fired(fine))")
        fine.quietSeconds = 0
        #expect(fine.quietPeriod == 50)
        #expect(fired(fine).count == 2, "\(fired(fine))")
        // Hourly cost: 6 hours are 6 intervals, so the 50 intervals decide.
        #expect(AnomalyConfiguration.standard.quietPeriod == 50)
    }

    /// The seasonal baseline: once the same time on the previous 3 days has predicted better than the recent
    /// median, it is the expected value. A daily shape that repeats exactly is then expected exactly.
    @Test func aRepeatingDailyShapeIsExpectedFromThePreviousDays() {
        let shape = (0..<24).map { 10 + 6 * sin(Double($0) / 24 * 2 * .pi) }
        let values = (0..<(6 * 24)).map { shape[$0 % 24] }
        let assessments = replay(values)
        // Before three days are seen there is nothing to compare with.
        #expect(assessments[..<72].allSatisfy { $0.basis != .previousDays })
        // On the fifth and sixth days the previous days are chosen and predict every hour.
        let later = assessments[(4 * 24)...]
        #expect(later.allSatisfy { $0.basis == .previousDays && abs($0.expected - $0.actual) < 1e-9 }, "\(later.map(\.basis))")
        #expect(later.allSatisfy { !$0.isBeyond })
    }

    /// Watching both ways, a series that swings across its expected value interval after interval is one
    /// abnormal stretch, not a string of one-interval spikes: it fires. Watching one way, it never sustains.
    @Test func anOscillationIsOneRunWhenBothWaysAreWatched() {
        var values = flat(300)
        for index in 200..<212 { values[index] = index.isMultiple(of: 2) ? 16 : 4 }
        var both = AnomalyConfiguration.standard
        both.direction = .both
        let fired = indices(replay(values, configuration: both), .fired)
        #expect(fired.count == 1 && (201...203).contains(fired[0]), "\(fired)")
        #expect(indices(replay(values), .fired).isEmpty)
    }

    @Test func aMissingIntervalBreaksARun() {
        var state = AnomalyState()
        _ = replay(flat(150), state: &state)
        // Doubled hours with an hour missing between each: never two in a row.
        for hour in [150, 152, 154] {
            let assessment = AnomalyDetector.observe((SyntheticSeries.epoch + .hours(Int64(hour)), 20), state: &state, configuration: .standard)
            #expect(assessment.isBeyond && assessment.transition == nil)
        }
        let second = AnomalyDetector.observe((SyntheticSeries.epoch + .hours(155), 20), state: &state, configuration: .standard)
        #expect(second.transition == .fired)
    }

    @Test func latePointsAndNonNumbersChangeNothing() {
        var state = AnomalyState()
        _ = replay(flat(100), state: &state)
        let before = state
        let late = AnomalyDetector.observe((SyntheticSeries.epoch + .hours(50), 500), state: &state, configuration: .standard)
        #expect(late.ignored && late.transition == nil)
        let duplicate = AnomalyDetector.observe((SyntheticSeries.epoch + .hours(99), 500), state: &state, configuration: .standard)
        #expect(duplicate.ignored)
        let notANumber = AnomalyDetector.observe((SyntheticSeries.epoch + .hours(100), .nan), state: &state, configuration: .standard)
        #expect(notANumber.ignored && notANumber.score == 0 && !notANumber.isBeyond)
        #expect(state == before)
    }

    @Test func theLikelihoodGrowsWithTheDeviationAndIgnoresTheUnwatchedSide() {
        var state = AnomalyState()
        _ = replay(flat(150), state: &state)
        let next = SyntheticSeries.epoch + .hours(150)
        let scores = [5.0, 10, 10.5, 11, 13, 20, 100, 1e6].map { value in
            var copy = state
            return AnomalyDetector.observe((next, value), state: &copy, configuration: .standard).score
        }
        #expect(scores[0] <= scores[1])  // a fall is not evidence when watching growth
        #expect(zip(scores, scores.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(scores.allSatisfy { (0...1).contains($0) })
        #expect(scores[6] > 0.99)
    }

    @Test func impactIsPerHourWhateverTheInterval() {
        var configuration = AnomalyConfiguration.standard
        configuration.intervalSeconds = 900
        var state = AnomalyState()
        for quarter in 0..<200 {
            let wobble = 2.5 * (1 + 0.01 * Double([0, 1, -1, 2, -2][quarter % 5]))
            _ = AnomalyDetector.observe((SyntheticSeries.epoch + .minutes(Int64(15 * quarter)), wobble), state: &state, configuration: configuration)
        }
        let assessment = AnomalyDetector.observe((SyntheticSeries.epoch + .minutes(15 * 200), 5), state: &state, configuration: configuration)
        #expect(abs(Double(assessment.impactPerHour.nanos) / 1e9 - 10) < 0.2)  // +2.50 a quarter is +10.00 an hour
        #expect(assessment.isBeyond)
    }
}
