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
        #expect(try #require(all.precision) >= 0.85)
        #expect(try #require(all.recall) >= 0.85)
        #expect(try #require(all.meanDelay) <= 8)
        #expect(try #require(all.maximumDelay) <= 30)
    }

    @Test(arguments: [SyntheticSeries.Kind.steady, .trend])
    func normalSeriesRaiseNothing(kind: SyntheticSeries.Kind) throws {
        #expect(try row(kind).alerts == 0)
    }

    /// One-interval spikes never sustain a run on their own; on a daily shape the likelihood they leave behind
    /// can meet three morning points above the (lagging) median: at most a few such alerts over ten series.
    @Test func spikesRaiseAtMostAFewAlerts() throws {
        #expect(try row(.spikes).alerts <= 3)
    }

    @Test func aNewServiceIsCaughtOnTheThirdInterval() throws {
        let quality = try row(.newService)
        #expect(quality.recall == 1 && quality.precision == 1)
        #expect(try #require(quality.meanDelay) <= 3)
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

    /// Weekends are not modelled (only the value a day earlier votes): a weekend unlike weekdays can raise an
    /// alert on its first day, in about a third of such series.
    @Test func weeklySeries() throws {
        let quality = try row(.weekly)
        #expect(try #require(quality.recall) >= 0.8)
        #expect(try #require(quality.precision) >= 0.7)
    }
}
