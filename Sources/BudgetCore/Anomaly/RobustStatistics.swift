/// Median and median absolute deviation of small samples (tens of values): sorting is cheaper than cleverness.
public enum RobustStatistics {
    /// Scales a median absolute deviation to a standard deviation for normally distributed data.
    public static let normalConsistency = 1.4826

    /// The median (the mean of the two middle values for an even count), or nil for no values.
    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count.isMultiple(of: 2) ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[middle]
    }

    /// The median of the absolute deviations from the median, or nil for no values.
    public static func medianAbsoluteDeviation(_ values: [Double]) -> Double? {
        guard let center = median(values) else { return nil }
        return median(values.map { abs($0 - center) })
    }

    /// A robust standard deviation: `normalConsistency` × the median absolute deviation.
    public static func robustSpread(_ values: [Double]) -> Double? {
        medianAbsoluteDeviation(values).map { normalConsistency * $0 }
    }

    /// `value` rounded to `digits` significant decimal digits (half away from zero), exactly as its
    /// shortest decimal text reads: keeps stored baselines short in JSON without drifting on a round trip.
    public static func rounded(_ value: Double, significantDigits digits: Int) -> Double {
        guard value.isFinite, value != 0, digits >= 1 else { return value }
        let magnitude = abs(value)
        // The decimal exponent of the leading digit, found by exact comparisons with powers of ten.
        var exponent = 0
        while magnitude >= powerOfTen(exponent + 1), exponent < 300 { exponent += 1 }
        while magnitude < powerOfTen(exponent), exponent > -300 { exponent -= 1 }
        let shift = digits - 1 - exponent  // round at 10^-shift
        if shift >= 0 {
            guard shift <= 22 else { return value }  // 10^22 is the largest exact power of ten
            let scale = powerOfTen(shift)
            return (value * scale).rounded(.toNearestOrAwayFromZero) / scale
        }
        guard -shift <= 22 else { return value }
        let scale = powerOfTen(-shift)
        return (value / scale).rounded(.toNearestOrAwayFromZero) * scale
    }

    private static func powerOfTen(_ exponent: Int) -> Double {
        var result = 1.0
        if exponent >= 0 {
            for _ in 0..<exponent { result *= 10 }
            return result
        }
        // 10^-k as 1 / 10^k: one rounding, the nearest Double to the decimal for k <= 22.
        for _ in 0..<(-exponent) { result *= 10 }
        return 1 / result
    }
}
