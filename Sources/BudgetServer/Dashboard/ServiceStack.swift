import BudgetCore

/// Service costs per bucket arranged for a stacked chart: the largest services, the rest as "other".
struct ServiceStack {
    struct Layer {
        var name: String
        var color: String
        var total: Money
        /// Cost per bucket, in currency units (display only).
        var values: [Double]
    }

    /// Services drawn on their own; more than this many and the smallest are summed as "other".
    static let maximumServices = 6
    static let palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948"]
    static let otherColor = "#b8b0ac"

    /// Bucket start times, ascending.
    let buckets: [Timestamp]
    let bucketLength: TimeSpan
    /// Bottom to top: the largest service first, "other" last.
    let layers: [Layer]

    init(series: [ServiceSeries], defaultBucketLength: TimeSpan) {
        buckets = Array(Set(series.flatMap { $0.points.map(\.at) })).sorted()
        bucketLength = zip(buckets, buckets.dropFirst()).map { $1 - $0 }.min() ?? defaultBucketLength
        let index = Dictionary(uniqueKeysWithValues: buckets.enumerated().map { ($1, $0) })

        var merged: [String: (total: Money, values: [Double])] = [:]
        for entry in series {
            var current = merged[entry.service] ?? (.zero, Array(repeating: 0, count: buckets.count))
            for point in entry.points {
                current.total = current.total.adding(point.amount) ?? current.total
                current.values[index[point.at]!] += SpendChart.units(point.amount)
            }
            merged[entry.service] = current
        }
        let ranked = merged.sorted { ($0.value.total, $1.key) > ($1.value.total, $0.key) }
        let shown = ranked.count > Self.maximumServices ? Self.maximumServices - 1 : ranked.count
        var layers = ranked.prefix(shown).enumerated().map { position, entry in
            Layer(name: entry.key, color: Self.palette[position % Self.palette.count], total: entry.value.total, values: entry.value.values)
        }
        let rest = ranked.dropFirst(shown)
        if !rest.isEmpty {
            var other = Layer(name: "other (\(rest.count) services)", color: Self.otherColor, total: .zero, values: Array(repeating: 0, count: buckets.count))
            for entry in rest {
                other.total = other.total.adding(entry.value.total) ?? other.total
                for (position, value) in entry.value.values.enumerated() { other.values[position] += value }
            }
            layers.append(other)
        }
        self.layers = layers
    }

    /// The height of the stack at `bucket` up to and including layer `layer`.
    func cumulative(through layer: Int, at bucket: Int) -> Double {
        layers.prefix(layer + 1).reduce(0) { $0 + max($1.values[bucket], 0) }
    }

    /// "per hour", "per day" or "per 6 h": what one bucket's cost is per.
    var unit: String {
        switch bucketLength.microseconds {
        case Timestamp.microsecondsPerHour: "per hour"
        case Timestamp.microsecondsPerDay: "per day"
        case let length where length % Timestamp.microsecondsPerDay == 0: "per \(length / Timestamp.microsecondsPerDay) days"
        case let length where length % Timestamp.microsecondsPerHour == 0: "per \(length / Timestamp.microsecondsPerHour) h"
        default: "per \(ChartNumber.grouped(bucketLength.totalSeconds / 60, decimals: 0)) min"
        }
    }
}
