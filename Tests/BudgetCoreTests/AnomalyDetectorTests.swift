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
        var values = flat(200)
        values[100] = 80
        values[150] = 60
        values[151] = 60  // two intervals: still short of three
        let assessments = replay(values)
        #expect(assessments[100].isBeyond && assessments[100].score > 0.9)
        #expect(assessments.allSatisfy { $0.transition == nil && !$0.isOpen })
    }

    @Test func sustainedDoublingFiresOnTheThirdIntervalAndResolvesOnTheThirdBack() {
        var values = flat(200)
        for index in 100..<130 { values[index] *= 2 }
        let assessments = replay(values)
        #expect(indices(assessments, .fired) == [102])
        #expect(indices(assessments, .resolved) == [132])
        #expect(assessments[100].isBeyond && !assessments[100].isOpen)
        #expect(assessments[102].isOpen && assessments[102].openDirection == .up)
        #expect(assessments[131].isOpen && !assessments[132].isOpen)
        let fired = assessments[102]
        #expect(abs(fired.expected - 10) < 0.3)
        #expect(abs(fired.impactPercent! - 100) < 5)
        #expect(fired.impactPerHour == Money(nanos: Int64(((fired.actual - fired.expected) * 1e9).rounded())))
        #expect(fired.basis == .hourOfDay)  // day 4: no week of history yet
        #expect(!fired.coldStart && fired.intervalsUntilReady == 0)
    }

    @Test func theBaselineDoesNotLearnAnOpenAnomaly() {
        var values = flat(250)
        for index in 100..<160 { values[index] *= 2 }
        let assessments = replay(values)
        // Sixty hours at double cost later, the expected value is still the old level.
        #expect(abs(assessments[159].expected - 10) < 0.5)
        #expect(indices(assessments, .fired) == [102])
    }

    @Test func growthBelowTheAbsoluteThresholdRaisesNothing() {
        // A 0.50 per hour series growing 80 %: +0.40 per hour, under the 1.00 threshold.
        var values = flat(200, level: 0.5)
        for index in 100..<200 { values[index] *= 1.8 }
        let assessments = replay(values)
        #expect(assessments[120].impactPercent! > 50)
        #expect(assessments.allSatisfy { !$0.isBeyond && $0.transition == nil })
        // The same growth passes once the absolute threshold is lowered to 0.10.
        var configuration = AnomalyConfiguration.standard
        configuration.absoluteThreshold = Money(nanos: 100_000_000)
        #expect(indices(replay(values, configuration: configuration), .fired) == [102])
    }

    @Test func growthBelowTheRelativeThresholdRaisesNothing() {
        var values = flat(200, level: 100)
        for index in 100..<200 { values[index] *= 1.3 }  // +30 per hour, but only +30 %
        #expect(replay(values).allSatisfy { $0.transition == nil })
    }

    @Test func coldStartRaisesNothingEvenForHugeGrowth() {
        var values = flat(48)
        for index in 10..<48 { values[index] *= 10 }
        let assessments = replay(values)
        #expect(assessments.allSatisfy { $0.coldStart && $0.transition == nil })
        #expect(assessments.map(\.intervalsUntilReady) == Array((1...48).reversed()))
        #expect(assessments[20].isBeyond == false || assessments[20].coldStart)
        #expect(assessments[0].basis == .none && assessments[0].expected == assessments[0].actual)
        #expect(assessments[0].status == "learning the baseline: no growth alerts for 48 more intervals")
        #expect(assessments[47].status == "learning the baseline: no growth alerts for 1 more interval")
    }

    @Test func firstAlertComesRightAfterTheColdStart() {
        var configuration = AnomalyConfiguration.standard
        configuration.minimumHistory = 30
        var values = flat(60)
        for index in 27..<60 { values[index] *= 3 }  // starts inside the cold start: learnt as it is
        let assessments = replay(values, configuration: configuration)
        #expect(indices(assessments, .fired).allSatisfy { $0 >= 30 })
        #expect(assessments[29].coldStart && !assessments[30].coldStart)
    }

    @Test func declinesFireWhenWatchedAndOnlyThen() {
        var values = flat(200)
        for index in 100..<130 { values[index] *= 0.3 }
        for index in 160..<190 { values[index] *= 2.5 }
        #expect(indices(replay(values), .fired) == [162])

        var down = AnomalyConfiguration.standard
        down.direction = .down
        let declines = replay(values, configuration: down)
        #expect(indices(declines, .fired) == [102])
        #expect(declines[102].openDirection == .down && declines[102].impactPerHour.isNegative)
        #expect(declines[165].score == 0)  // growth scores nothing when watching declines

        var both = AnomalyConfiguration.standard
        both.direction = .both
        let either = replay(values, configuration: both)
        #expect(indices(either, .fired) == [102, 162])
        #expect(either[102].openDirection == .down && either[162].openDirection == .up)
        #expect(indices(either, .resolved) == [132, 192])
    }

    @Test func aNewServiceIsJudgedByTheAbsoluteThresholdAlone() {
        var values = Array(repeating: 0.0, count: 100)
        for index in 80..<100 { values[index] = 4 }
        let assessments = replay(values)
        #expect(indices(assessments, .fired) == [82])
        #expect(assessments[82].expected == 0 && assessments[82].impactPercent == nil)
        #expect(assessments[82].impactPerHour == Money(nanos: 4_000_000_000))
        #expect(assessments[82].status == "actual 4.00 vs expected 0.00 (+4.00/h)")
        // 0.50 per hour from nothing stays under the absolute threshold.
        #expect(replay(values.map { $0 / 8 }).allSatisfy { $0.transition == nil })
    }

    @Test func aLastingShiftBecomesTheNewNormal() {
        let shift = 24 * 22 + 10  // after three weeks of history
        var values = flat(shift + 24 * 10)
        for index in shift..<values.count { values[index] *= 2 }
        let assessments = replay(values)
        #expect(indices(assessments, .fired) == [shift + 2])
        // 72 beyond intervals after firing (the default adaptation), the level is adopted ...
        let adopted = assessments.indices.filter { assessments[$0].adoptedNewLevel }
        #expect(adopted == [shift + 2 + 71])
        // ... and the alert resolves once the series has been within for three intervals, for good.
        #expect(indices(assessments, .resolved) == [shift + 2 + 71 + 3])
        #expect(assessments[(shift + 2 + 71 + 3)...].allSatisfy { abs($0.expected - 20) < 1 })
    }

    @Test func aLastingShiftInAYoungSeriesIsAdoptedToo() {
        var values = flat(24 * 14)
        for index in 100..<values.count { values[index] *= 2 }
        var configuration = AnomalyConfiguration.standard
        configuration.adaptationIntervals = 24
        let assessments = replay(values, configuration: configuration)
        #expect(indices(assessments, .fired) == [102])
        #expect(assessments.indices.filter { assessments[$0].adoptedNewLevel } == [102 + 23])
        #expect(indices(assessments, .resolved) == [102 + 23 + 3])
        #expect(assessments[(102 + 23 + 3)...].allSatisfy { !$0.isBeyond && $0.expected > 18 })
    }

    @Test func aMissingIntervalBreaksARun() {
        var state = AnomalyState()
        _ = replay(flat(100), state: &state)
        // Two doubled hours, an hour missing, two more: never three in a row.
        for hour in [100, 101, 103, 104] {
            let assessment = AnomalyDetector.observe((SyntheticSeries.epoch + .hours(Int64(hour)), 20), state: &state, configuration: .standard)
            #expect(assessment.isBeyond && assessment.transition == nil)
        }
        let third = AnomalyDetector.observe((SyntheticSeries.epoch + .hours(105), 20), state: &state, configuration: .standard)
        #expect(third.transition == .fired)
    }

    @Test func gapsOfDaysDoNotBreakTheBaseline() {
        var state = AnomalyState()
        _ = replay(flat(100), state: &state)
        let later = replay(flat(60), state: &state, from: 100 + 24 * 5)
        #expect(later.allSatisfy { $0.transition == nil && abs($0.expected - 10) < 0.3 })
        #expect(state.history == 160)
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

    @Test func scoreGrowsWithTheDeviationAndIsZeroBelowExpected() {
        var state = AnomalyState()
        _ = replay(flat(100), state: &state)
        let next = SyntheticSeries.epoch + .hours(100)
        let scores = [5.0, 10, 10.5, 11, 13, 20, 100, 1e6].map { value in
            var copy = state
            return AnomalyDetector.observe((next, value), state: &copy, configuration: .standard).score
        }
        #expect(scores[0] == 0)
        #expect(zip(scores, scores.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(scores.allSatisfy { (0...1).contains($0) })
        #expect(scores[6] > 0.95)
    }

    @Test func impactIsPerHourWhateverTheInterval() {
        var configuration = AnomalyConfiguration.standard
        configuration.intervalSeconds = 900
        var state = AnomalyState()
        for quarter in 0..<200 {
            _ = AnomalyDetector.observe((SyntheticSeries.epoch + .minutes(Int64(15 * quarter)), 2.5), state: &state, configuration: configuration)
        }
        let assessment = AnomalyDetector.observe((SyntheticSeries.epoch + .minutes(15 * 200), 5), state: &state, configuration: configuration)
        #expect(assessment.impactPerHour == Money(nanos: 10_000_000_000))  // +2.50 a quarter is +10.00 an hour
        #expect(assessment.isBeyond)
    }
}

@Suite struct SeasonalBaselineTests {
    @Test func followsTheHourOfTheDayAfterTwoDays() {
        var baseline = SeasonalBaseline()
        for hour in 0..<30 { baseline.learn(Double(hour % 24), at: SyntheticSeries.epoch + .hours(Int64(hour))) }
        // Hour 3 has two values, hour 12 only one: the recent window's median stands in.
        let three = baseline.expectation(at: SyntheticSeries.epoch + .hours(51))
        #expect(three?.value == 3 && three?.basis == .hourOfDay)
        let twelve = baseline.expectation(at: SyntheticSeries.epoch + .hours(36))
        #expect(twelve?.basis == .recentWindow)
        #expect(SeasonalBaseline().expectation(at: SyntheticSeries.epoch) == nil)
    }

    @Test func followsTheHourOfTheWeekOnceWeeksAreKnown() {
        var baseline = SeasonalBaseline()
        // Three weeks: 10 on weekdays, 30 on Saturdays and Sundays.
        for hour in 0..<(24 * 21) {
            let weekend = (hour / 24) % 7 >= 5
            baseline.learn(weekend ? 30 : 10, at: SyntheticSeries.epoch + .hours(Int64(hour)))
        }
        let saturday = baseline.expectation(at: SyntheticSeries.epoch + .hours(24 * 26 + 9))
        let monday = baseline.expectation(at: SyntheticSeries.epoch + .hours(24 * 21 + 9))
        #expect(saturday?.value == 30 && saturday?.basis == .hourOfWeek)
        #expect(monday?.value == 10)
    }

    @Test func oneOddWeekDoesNotMoveTheWeeklyExpectation() {
        var baseline = SeasonalBaseline()
        for hour in 0..<(24 * 21) {
            let oddWeek = hour / (24 * 7) == 1
            baseline.learn(oddWeek ? 50 : 10, at: SyntheticSeries.epoch + .hours(Int64(hour)))
        }
        #expect(baseline.expectation(at: SyntheticSeries.epoch + .hours(24 * 21 + 5))?.value == 10)
    }
}
