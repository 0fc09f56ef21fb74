/// The last `capacity` residuals, in arrival order (what is stored) and sorted (derived, for their median and
/// median absolute deviation without sorting a thousand values at every point).
struct ResidualWindow: Sendable, Hashable {
    private(set) var buffer: RingBuffer<Double>
    private var sorted: [Double]

    init(capacity: Int, elements: [Double] = []) {
        buffer = RingBuffer(capacity: capacity, elements: elements)
        sorted = buffer.elements.sorted()
    }

    var count: Int { buffer.count }
    var elements: [Double] { buffer.elements }

    mutating func append(_ value: Double) {
        if buffer.isFull, let oldest = buffer.first {
            sorted.remove(at: Self.lowerBound(of: oldest, in: sorted))
        }
        buffer.append(value)
        sorted.insert(value, at: Self.lowerBound(of: value, in: sorted))
    }

    /// The median and the median absolute deviation from it (as `RobustStatistics` computes them), nil when empty.
    func medianAndDeviation() -> (median: Double, deviation: Double)? {
        let count = sorted.count
        guard count > 0 else { return nil }
        let middle = count / 2
        let center = count.isMultiple(of: 2) ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[middle]
        // |x − center| in increasing order merges two sorted runs: leftwards and rightwards from the center.
        var left = Self.lowerBound(of: center, in: sorted) - 1, right = left + 1
        func next() -> Double {
            if left < 0 { right += 1; return sorted[right - 1] - center }
            if right >= count { left -= 1; return center - sorted[left + 1] }
            let below = center - sorted[left], above = sorted[right] - center
            if below <= above { left -= 1; return below }
            right += 1
            return above
        }
        var previous = 0.0
        for _ in 0..<middle { previous = next() }
        let upper = next()
        return (center, count.isMultiple(of: 2) ? (previous + upper) / 2 : upper)
    }

    private static func lowerBound(of value: Double, in values: [Double]) -> Int {
        var low = 0, high = values.count
        while low < high {
            let mid = (low + high) / 2
            if values[mid] < value { low = mid + 1 } else { high = mid }
        }
        return low
    }

    static func == (lhs: Self, rhs: Self) -> Bool { lhs.buffer == rhs.buffer }
    func hash(into hasher: inout Hasher) { hasher.combine(buffer) }
}
