/// Runs the labelled synthetic corpus through the detector: the figures in docs/ALERTS.md come from here,
/// through the tests and `chartly-budget backtest --corpus`.
public enum AnomalyCorpus {
    /// The measured quality of one kind of series (or of all, with `kind` nil).
    public struct Row: Sendable, Hashable {
        public var kind: SyntheticSeries.Kind?
        public var series: Int
        public var quality: DetectionQuality
    }

    /// Intervals after a window's start within which an alert still counts for a short window.
    public static let grace = 12

    /// Alert indices for `series` under `configuration` (its interval is taken from the series).
    public static func firedIndices(_ series: LabelledSeries, configuration: AnomalyConfiguration) -> [Int] {
        var configuration = configuration
        configuration.intervalSeconds = series.intervalSeconds
        var state = AnomalyState()
        var fired: [Int] = []
        for (index, value) in series.values.enumerated() {
            let point = (timestamp: series.timestamp(at: index), value: value)
            if AnomalyDetector.observe(point, state: &state, configuration: configuration).transition == .fired {
                fired.append(index)
            }
        }
        return fired
    }

    /// One row per kind, then the overall row (kind nil), over seeds `seeds`.
    public static func evaluate(configuration: AnomalyConfiguration = .standard, seeds: Range<UInt64> = 0..<10,
                                days: Int = 35) -> [Row] {
        var rows: [Row] = []
        var total = DetectionQuality()
        for kind in SyntheticSeries.Kind.allCases {
            var quality = DetectionQuality()
            for seed in seeds {
                let series = SyntheticSeries.generate(kind, seed: seed, days: days)
                let fired = firedIndices(series, configuration: configuration)
                quality = quality + DetectionQuality(firedAt: fired, windows: series.anomalies, grace: grace)
            }
            rows.append(Row(kind: kind, series: seeds.count, quality: quality))
            total = total + quality
        }
        rows.append(Row(kind: nil, series: seeds.count * SyntheticSeries.Kind.allCases.count, quality: total))
        return rows
    }

    /// The rows as a Markdown table (delays in intervals; "–" where a figure is undefined).
    public static func table(_ rows: [Row]) -> String {
        var lines = [
            "| series | count | anomalies | detected | alerts | false alerts | precision | recall | mean delay | max delay |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for row in rows {
            let quality = row.quality
            let cells = [
                row.kind.map { "`\($0.rawValue)`" } ?? "**all**",
                String(row.series), String(quality.windows), String(quality.detected), String(quality.alerts),
                String(quality.falseAlerts), fixed(quality.precision, 3), fixed(quality.recall, 3),
                fixed(quality.meanDelay, 1), quality.maximumDelay.map(String.init) ?? "–",
            ]
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }

    /// `value` with `digits` decimals (half away from zero), or "–" for nil.
    static func fixed(_ value: Double?, _ digits: Int) -> String {
        guard let value, value.isFinite else { return "–" }
        var scale: Int64 = 1
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int64((abs(value) * Double(scale)).rounded(.toNearestOrAwayFromZero))
        let fraction = String(scaled % scale)
        let padded = String(repeating: "0", count: digits - fraction.count) + fraction
        return (value < 0 && scaled != 0 ? "-" : "") + String(scaled / scale) + (digits > 0 ? "." + padded : "")
    }
}
