import Testing
import BudgetCore

@Suite struct RootCauseTests {
    @Test func ranksTheLargestGrowthFirstWithSharesOfTheGrossGrowth() {
        let ranked = RootCause.rank([
            (name: "api", expected: 10, actual: 30),
            (name: "db", expected: 20, actual: 20),
            (name: "batch", expected: 5, actual: 10),
            (name: "cache", expected: 8, actual: 2),
            (name: "web", expected: 1, actual: 16),
        ])
        #expect(ranked.map(\.name) == ["api", "web", "batch"])
        #expect(ranked.map(\.delta) == [20, 15, 5])
        #expect(ranked.map(\.shareOfGrowth) == [0.5, 0.375, 0.125])
        #expect(ranked[0].expected == 10 && ranked[0].actual == 30)
    }

    @Test func breaksTiesByNameAndHonoursTheLimit() {
        let components = [(name: "b", expected: 1.0, actual: 3.0), (name: "a", expected: 0.0, actual: 2.0), (name: "c", expected: 2.0, actual: 4.0)]
        #expect(RootCause.rank(components).map(\.name) == ["a", "b", "c"])
        #expect(RootCause.rank(components, limit: 1).map(\.name) == ["a"])
        #expect(RootCause.rank(components, limit: 0).isEmpty)
    }

    @Test func declinesRankTheLargestFall() {
        let components = [(name: "api", expected: 10.0, actual: 2.0), (name: "db", expected: 4.0, actual: 3.0), (name: "web", expected: 1.0, actual: 9.0)]
        let down = RootCause.rank(components, direction: .down)
        #expect(down.map(\.name) == ["api", "db"])
        #expect(down.map(\.delta) == [-8, -1])
        #expect(down.map(\.shareOfGrowth) == [8.0 / 9, 1.0 / 9])
        // Both ways: the net change (-1) is a decline.
        #expect(RootCause.rank(components, direction: .both).map(\.name) == ["api", "db"])
    }

    @Test func nothingGrewNothingRanked() {
        #expect(RootCause.rank([]).isEmpty)
        #expect(RootCause.rank([(name: "api", expected: 3, actual: 3), (name: "db", expected: .nan, actual: 9)]).isEmpty)
    }
}

@Suite struct DetectionQualityTests {
    @Test func countsDetectionsFalseAlertsAndDelays() {
        // Windows: 10..<20 (alert at 12), 40..<42 (alert at 45, within the 6-interval grace of a short
        // window), 60..<70 (missed). Alerts at 30 and 55 are false; 15 is a second one inside the first window.
        let quality = DetectionQuality(firedAt: [12, 15, 30, 45, 55], windows: [10..<20, 40..<42, 60..<70], grace: 6)
        #expect(quality.windows == 3 && quality.detected == 2)
        #expect(quality.alerts == 5 && quality.falseAlerts == 2)
        #expect(quality.delays == [2, 5])
        #expect(quality.precision == 0.6)
        #expect(quality.recall == 2.0 / 3)
        #expect(quality.meanDelay == 3.5 && quality.maximumDelay == 5)
    }

    @Test func undefinedFiguresAreNil() {
        let quiet = DetectionQuality(firedAt: [], windows: [], grace: 6)
        #expect(quiet.precision == nil && quiet.recall == nil && quiet.meanDelay == nil && quiet.maximumDelay == nil)
        let sum = quiet + DetectionQuality(firedAt: [3], windows: [2..<5], grace: 6)
        #expect(sum.precision == 1 && sum.recall == 1 && sum.delays == [1])
    }
}

@Suite struct AnomalyEpisodeTests {
    @Test func collectsWhatAReplayWouldHaveRaised() {
        let series = SyntheticSeries.generate(.step, seed: 4)
        var state = AnomalyState()
        var tracker = AnomalyEpisode.Tracker()
        var assessments: [AnomalyAssessment] = []
        for point in series.points {
            let assessment = AnomalyDetector.observe(point, state: &state, configuration: .standard)
            assessments.append(assessment)
            tracker.record(assessment)
        }
        let fired = assessments.filter { $0.transition == .fired }
        #expect(tracker.episodes.map(\.start) == fired.map(\.timestamp))
        #expect(!tracker.episodes.isEmpty)
        for episode in tracker.episodes {
            let during = assessments.filter { $0.timestamp >= episode.start && $0.timestamp <= (episode.end ?? assessments.last!.timestamp) }
            #expect(episode.intervals == during.count)
            #expect(episode.peakImpactPerHour == during.map(\.impactPerHour).max())
            #expect(episode.direction == .up)
        }
    }
}
