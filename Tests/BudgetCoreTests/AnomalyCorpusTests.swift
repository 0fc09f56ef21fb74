import Testing
import BudgetCore

/// The labelled synthetic corpus through the default configuration. The floors sit below the figures measured
/// when they were set (docs/ALERTS.md), with room for a seed's worth of change, not for a worse detector.
@Suite struct AnomalyCorpusTests {
    static let rows = AnomalyCorpus.evaluate()

    private func row(_ kind: SyntheticSeries.Kind?) throws -> DetectionQuality {
        try #require(Self.rows.first { $0.kind == kind }).quality
    }

    @Test func printsTheTable() {
        print(AnomalyCorpus.table(Self.rows))
        #expect(Self.rows.count == SyntheticSeries.Kind.allCases.count + 1)
        #expect(AnomalyCorpus.evaluate(seeds: 0..<2) == AnomalyCorpus.evaluate(seeds: 0..<2))
    }

    @Test func overallFloors() throws {
        let all = try row(nil)
        #expect(all.windows == 60)
        // Precision 0.66 (was 0.90): since issue #20 two intervals in a row clearly out of range are sustained,
        // and the `spikes` kind's two-interval spikes (labelled harmless) now alert, and `weekly` raises more
        // (see below); recall 0.97, delay 4.0 (0.93 and 4.4 before the fourth pass's seasonal baseline and run test).
        #expect(try #require(all.precision) >= 0.65)
        #expect(try #require(all.recall) >= 0.9)
        #expect(try #require(all.meanDelay) <= 6)
        #expect(try #require(all.maximumDelay) <= 30)
    }

    @Test func steadySeriesRaiseNothing() throws {
        #expect(try row(.steady).alerts == 0)
    }

    /// Organic growth (up to ×2.8 over five weeks) keeps making new highs; the range test needs two intervals
    /// clearly above the old range (or three above it), but two noisy intervals with an abnormal likelihood can
    /// still fire: 0 alerts over ten series since issue #20's fourth pass (3 before it).
    @Test func organicTrendsRaiseAtMostAFewAlerts() throws {
        #expect(try row(.trend).alerts <= 4)
    }

    /// One-interval spikes never sustain a run on their own. Four of each series' ten spikes last two intervals:
    /// since issue #20 two intervals in a row clearly out of range are sustained, so some of those 40 alert
    /// (17 over ten series; 3 with three intervals sustained).
    @Test func spikesAlertOnlyWhenTheyLastTwoIntervals() throws {
        #expect(try row(.spikes).alerts <= 20)
    }

    @Test func aNewServiceIsCaughtOnTheSecondInterval() throws {
        let quality = try row(.newService)
        #expect(quality.recall == 1 && quality.precision == 1)
        #expect(try #require(quality.meanDelay) <= 2)
    }

    @Test(arguments: [SyntheticSeries.Kind.daily, .step])
    func clearGrowthIsCaught(kind: SyntheticSeries.Kind) throws {
        let quality = try row(kind)
        #expect(try #require(quality.recall) >= 0.8)
        #expect(try #require(quality.precision) >= 0.9)
        #expect(try #require(quality.meanDelay) <= 8)
    }

    @Test func noisySeries() throws {
        let quality = try row(.noisy)
        #expect(try #require(quality.recall) >= 0.8)
        #expect(try #require(quality.precision) >= 0.85)
        #expect(try #require(quality.meanDelay) <= 10)
    }

    @Test func rampsAreCaughtOnTheWay() throws {
        let quality = try row(.ramp)
        #expect(try #require(quality.recall) >= 0.9)
        #expect(try #require(quality.precision) >= 0.9)
        #expect(try #require(quality.meanDelay) <= 24)
    }

    /// Weekends are not modelled (the day vote and the seasonal baseline look 1 to 3 days back, not a week): a
    /// weekend unlike weekdays can raise an alert on its first day or on the Monday after it. Precision 0.43 since
    /// issue #20's fourth pass (0.64 before): the seasonal baseline, chosen on weekdays where it predicts best,
    /// expects Monday to look like the weekend (+4 false alerts over ten series), and the run test fires on
    /// a weekend that outlasts every recent run (+3).
    @Test func weeklySeries() throws {
        let quality = try row(.weekly)
        #expect(try #require(quality.recall) >= 0.8)
        #expect(try #require(quality.precision) >= 0.4)
    }
}
