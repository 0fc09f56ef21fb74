/// A generated cost series with the intervals where a person would want an abnormal-growth alert.
public struct LabelledSeries: Sendable, Hashable {
    /// The kind of series.
    public var kind: SyntheticSeries.Kind
    /// The seed that made it.
    public var seed: UInt64
    /// The first interval's timestamp.
    public var start: Timestamp
    /// Seconds per interval.
    public var intervalSeconds: Int
    /// Cost per interval, one value per interval.
    public var values: [Double]
    /// Indices of the intervals of each abnormal growth, in order; empty for series that should raise nothing.
    public var anomalies: [Range<Int>]

    /// The timestamp of interval `index`.
    public func timestamp(at index: Int) -> Timestamp {
        start + .seconds(Int64(index) * Int64(intervalSeconds))
    }

    /// The points, in order.
    public var points: [(timestamp: Timestamp, value: Double)] {
        values.indices.map { (timestamp(at: $0), values[$0]) }
    }
}

/// The labelled synthetic corpus: hourly cost series of the shapes the detector must handle, from a seed.
public enum SyntheticSeries {
    /// The shapes in the corpus.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// A flat level with 5 % noise; nothing to find.
        case steady
        /// A business-hours daily shape, with one growth episode (×1.6–3 for 6–48 h).
        case daily
        /// A daily shape times a weekday factor (quieter or busier weekends), with one growth episode.
        case weekly
        /// Slow compound growth of 0.5–3 % a day; organic, nothing to find.
        case trend
        /// A step up ×1.6–3 that lasts 12–120 h or to the end.
        case step
        /// A linear climb to ×2–3 over 12–48 h, held 24–72 h, then back.
        case ramp
        /// Ten single-interval spikes (×2–6) and two-interval bursts; nothing to find.
        case spikes
        /// A daily shape with 20 % noise, with one growth episode.
        case noisy
        /// A service idling at about zero that starts costing at a random day.
        case newService = "new_service"
    }

    /// Monday 2025-01-06T00:00:00Z; each seed starts 0–6 days later so weekends fall on different history days.
    public static let epoch = Timestamp(seconds: 1_736_121_600)

    /// The series of `kind` for `seed`: `days` days of hourly values.
    public static func generate(_ kind: Kind, seed: UInt64, days: Int = 35) -> LabelledSeries {
        let kindIndex = UInt64(Kind.allCases.firstIndex(of: kind)!)
        var random = SeededGenerator(seed: seed &* 0x2545_F491_4F6C_DD1D &+ kindIndex &* 0x9E37_79B9)
        let start = epoch + .days(Int64(seed % 7))
        let count = days * 24
        let level = random.uniform(5...40)
        var shape = Shape(start: start, amplitude: 0, weekendFactor: 1)
        var noise = 0.05
        var factors = Array(repeating: 1.0, count: count)
        var anomalies: [Range<Int>] = []

        switch kind {
        case .steady:
            break
        case .daily:
            shape.amplitude = random.uniform(0.3...0.7)
            anomalies.append(episode(&factors, &random, days: 15...31, hours: 6...48))
        case .weekly:
            shape.amplitude = random.uniform(0.2...0.5)
            shape.weekendFactor = seed.isMultiple(of: 2) ? random.uniform(0.4...0.7) : random.uniform(1.3...1.8)
            anomalies.append(episode(&factors, &random, days: 15...31, hours: 6...48))
        case .trend:
            shape.amplitude = random.uniform(0...0.4)
            let dailyGrowth = random.uniform(0.005...0.03)
            var factor = 1.0
            for index in 0..<count {
                factors[index] = factor
                factor *= 1 + dailyGrowth / 24
            }
        case .step:
            shape.amplitude = random.uniform(0...0.5)
            let first = random.integer(10 * 24...30 * 24)
            let lastsToEnd = random.integer(0...2) == 0
            let end = lastsToEnd ? count : min(count, first + random.integer(12...120))
            let multiplier = random.uniform(1.6...3)
            for index in first..<end { factors[index] = multiplier }
            anomalies.append(first..<end)
        case .ramp:
            shape.amplitude = random.uniform(0...0.5)
            let first = random.integer(10 * 24...28 * 24)
            let climb = random.integer(12...48)
            let end = min(count, first + climb + random.integer(24...72))
            let multiplier = random.uniform(2...3)
            for index in first..<end {
                factors[index] = 1 + (multiplier - 1) * min(1, Double(index - first + 1) / Double(climb))
            }
            anomalies.append(first..<end)
        case .spikes:
            shape.amplitude = random.uniform(0...0.5)
            // One spike per tenth of the series after the first 3 days, so two never join into a run.
            let segment = (count - 3 * 24) / 10
            for spike in 0..<10 {
                let index = 3 * 24 + spike * segment + random.integer(0...(segment - 4))
                let multiplier = random.uniform(2...6)
                factors[index] = multiplier
                if spike.isMultiple(of: 3) { factors[index + 1] = multiplier }
            }
        case .noisy:
            shape.amplitude = random.uniform(0.3...0.6)
            noise = 0.2
            anomalies.append(episode(&factors, &random, days: 15...31, hours: 6...48))
        case .newService:
            shape.amplitude = random.uniform(0...0.5)
            let first = random.integer(10 * 24...30 * 24)
            let idle = random.uniform(0...0.02) / level
            for index in 0..<count { factors[index] = index < first ? idle : 1 }
            anomalies.append(first..<min(count, first + 24))
        }

        let values = (0..<count).map { index in
            let base = level * shape.factor(at: index) * factors[index]
            return max(0, base * (1 + noise * random.normal()))
        }
        return LabelledSeries(kind: kind, seed: seed, start: start, intervalSeconds: 3600, values: values, anomalies: anomalies)
    }

    /// Multiplies a random stretch by ×1.6–3 and returns it.
    private static func episode(_ factors: inout [Double], _ random: inout SeededGenerator,
                                days: ClosedRange<Int>, hours: ClosedRange<Int>) -> Range<Int> {
        let first = random.integer(days.lowerBound * 24...days.upperBound * 24)
        let end = min(factors.count, first + random.integer(hours))
        let multiplier = random.uniform(1.6...3)
        for index in first..<end { factors[index] = multiplier }
        return first..<end
    }

    /// A business-hours day (low at night, high 09–17 UTC) times a weekday factor for Saturday and Sunday.
    struct Shape {
        /// -1 at night, +1 in business hours.
        static let hourly: [Double] = [-1, -1, -1, -1, -1, -1, -0.5, 0, 0.5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.5, 0, -0.5, -1, -1, -1]
        var start: Timestamp
        var amplitude: Double
        var weekendFactor: Double

        func factor(at index: Int) -> Double {
            let slot = SyntheticSeries.slot(of: start + .hours(Int64(index)))
            let weekend = slot.hourOfWeek >= 5 * 24
            return (1 + amplitude * Shape.hourly[slot.hourOfDay]) * (weekend ? weekendFactor : 1)
        }
    }
}

extension SyntheticSeries {
    /// The hour of the day (0...23) and of the week (0...167, Monday 00:00 UTC is 0) of `timestamp`.
    static func slot(of timestamp: Timestamp) -> (hourOfDay: Int, hourOfWeek: Int) {
        let (days, microsecondOfDay) = Timestamp.floorDivision(timestamp.microsecondsSinceEpoch, Timestamp.microsecondsPerDay)
        let hour = Int(microsecondOfDay / Timestamp.microsecondsPerHour)
        // 1970-01-01 was a Thursday: day 0 is weekday 3 counting from Monday.
        let weekday = Int(Timestamp.floorDivision(days + 3, 7).remainder)
        return (hour, weekday * 24 + hour)
    }
}
