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
        #expect(try #require(all.precision) >= 0.9)
        #expect(try #require(all.recall) >= 0.95)
        #expect(try #require(all.meanDelay) <= 6)
        #expect(try #require(all.maximumDelay) <= 30)
    }

    @Test(arguments: [SyntheticSeries.Kind.steady, .trend, .spikes])
    func normalSeriesRaiseNothing(kind: SyntheticSeries.Kind) throws {
        #expect(try row(kind).alerts == 0)
    }

    @Test(arguments: [SyntheticSeries.Kind.daily, .step, .newService])
    func clearGrowthIsCaughtWithinThreeIntervals(kind: SyntheticSeries.Kind) throws {
        let quality = try row(kind)
        #expect(quality.recall == 1)
        #expect(try #require(quality.precision) >= 0.9)
        #expect(try #require(quality.meanDelay) <= 3)
    }

    @Test func noisySeries() throws {
        let quality = try row(.noisy)
        #expect(try #require(quality.recall) >= 0.9)
        #expect(try #require(quality.precision) >= 0.85)
        #expect(try #require(quality.meanDelay) <= 5)
    }

    @Test func rampsAreCaughtOnceTheyPassTheThreshold() throws {
        let quality = try row(.ramp)
        #expect(try #require(quality.recall) >= 0.9)
        #expect(try #require(quality.precision) >= 0.9)
        #expect(try #require(quality.meanDelay) <= 24)
    }

    /// Busy (or quiet) weekends look like growth until the detector has seen a week: with the default 48
    /// intervals of history about a third of such series raise one false alert in their first week.
    @Test func weeklySeriesNeedAWeekOfHistoryToBeQuiet() throws {
        let quality = try row(.weekly)
        #expect(quality.recall == 1)
        #expect(try #require(quality.precision) >= 0.6)
        var week = AnomalyConfiguration.standard
        week.minimumHistory = 168
        let weekRows = AnomalyCorpus.evaluate(configuration: week)
        let weekly = try #require(weekRows.first { $0.kind == .weekly }).quality
        #expect(weekly.recall == 1 && weekly.falseAlerts == 0)
        print(AnomalyCorpus.table(weekRows))
    }
}
