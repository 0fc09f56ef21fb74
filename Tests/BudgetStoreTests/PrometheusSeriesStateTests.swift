import BudgetStore
import Testing

/// Prometheus' semantics, one sample at a time: what each sample completes.
@Suite("Prometheus series: from samples to usage")
struct PrometheusSeriesStateTests {
    static let gauge = PrometheusSeriesState.Reading(counter: false, gaugeResource: true, scale: 1, loneHoldMilliseconds: 60_000)
    static let counter = PrometheusSeriesState.Reading(counter: true, gaugeResource: false, scale: 1, loneHoldMilliseconds: 60_000)
    static let stale = Double(bitPattern: 0x7ff0_0000_0000_0002)
    static func isStale(_ value: Double) -> Bool { value.bitPattern == 0x7ff0_0000_0000_0002 }

    @Test("a gauge holds until its next sample; the newest waits; re-sent samples complete nothing")
    func gaugeHolds() {
        var state = PrometheusSeriesState()
        let first = state.advance(with: [(0, 2), (15_000, 3), (30_000, 3)], reading: Self.gauge, isStale: Self.isStale)
        #expect(first.pieces == [.init(start: 0, end: 15_000, quantity: 2), .init(start: 15_000, end: 30_000, quantity: 3)])
        #expect(state.lastAt == 30_000 && state.intervalMilliseconds == 15_000)
        let again = state.advance(with: [(0, 2), (15_000, 3), (30_000, 3)], reading: Self.gauge, isStale: Self.isStale)
        #expect(again.pieces.isEmpty && again.resent == 3)
        // Split across two writes, the same usage: state carries the newest sample.
        var split = PrometheusSeriesState()
        let a = split.advance(with: [(0, 2)], reading: Self.gauge, isStale: Self.isStale)
        let b = split.advance(with: [(15_000, 3), (30_000, 3)], reading: Self.gauge, isStale: Self.isStale)
        #expect(a.pieces + b.pieces == first.pieces)
    }

    @Test("after a gap longer than 5 minutes the last sample holds one interval; a staleness marker ends the series")
    func gapsAndMarkers() {
        var state = PrometheusSeriesState()
        let pieces = state.advance(with: [(0, 1), (30_000, 1), (1_000_000, 4), (1_030_000, Self.stale)], reading: Self.gauge, isStale: Self.isStale).pieces
        #expect(pieces == [.init(start: 0, end: 30_000, quantity: 1), .init(start: 30_000, end: 60_000, quantity: 1), .init(start: 1_000_000, end: 1_030_000, quantity: 4)])
        #expect(state.ended)
        // A sample after the marker starts again: nothing is counted for the time between.
        let after = state.advance(with: [(2_000_000, 5), (2_030_000, 5)], reading: Self.gauge, isStale: Self.isStale).pieces
        #expect(after == [.init(start: 2_000_000, end: 2_030_000, quantity: 5)])
    }

    @Test("a counter's increase is its usage; a reset counts the new value; the first sample is the baseline")
    func counters() {
        var state = PrometheusSeriesState()
        let pieces = state.advance(with: [(0, 100), (10_000, 150), (20_000, 20), (30_000, 50)], reading: Self.counter, isStale: Self.isStale).pieces
        #expect(pieces.map(\.quantity) == [50, 20, 30])
        // Through a marker the counter keeps its value: a restarted pod resets, a flapping target does not.
        _ = state.advance(with: [(40_000, Self.stale)], reading: Self.counter, isStale: Self.isStale)
        #expect(state.advance(with: [(50_000, 70)], reading: Self.counter, isStale: Self.isStale).pieces.map(\.quantity) == [20])
    }

    @Test("a counter series for a gauge resource gives its increase per second (CPU seconds → cores)")
    func counterAsRate() {
        var state = PrometheusSeriesState()
        let reading = PrometheusSeriesState.Reading(counter: true, gaugeResource: true, scale: 1, loneHoldMilliseconds: 60_000)
        let pieces = state.advance(with: [(0, 1_000), (60_000, 1_090)], reading: reading, isStale: Self.isStale).pieces
        #expect(pieces == [.init(start: 0, end: 60_000, quantity: 1.5)])
    }

    @Test("closing a series that stopped without a marker counts its newest sample for one interval, once")
    func close() {
        var state = PrometheusSeriesState()
        _ = state.advance(with: [(0, 2), (20_000, 2)], reading: Self.gauge, isStale: Self.isStale)
        #expect(state.close() == .init(start: 20_000, end: 40_000, quantity: 2))
        #expect(state.close() == nil)
    }
}
