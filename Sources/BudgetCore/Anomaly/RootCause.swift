/// Which components of a series (its services, or a service's resources) made an anomaly.
public enum RootCause {
    /// One component's part in the change.
    public struct Contribution: Sendable, Hashable, Codable {
        /// The component: a service or a resource name.
        public var name: String
        /// Its expected value for the interval.
        public var expected: Double
        /// Its actual value.
        public var actual: Double
        /// actual − expected.
        public var delta: Double
        /// Its part of the gross change in the ranked direction (0...1; the shares of all movers sum to 1).
        public var shareOfGrowth: Double

        public init(name: String, expected: Double, actual: Double, delta: Double, shareOfGrowth: Double) {
            self.name = name
            self.expected = expected
            self.actual = actual
            self.delta = delta
            self.shareOfGrowth = shareOfGrowth
        }

        enum CodingKeys: String, CodingKey {
            case name, expected, actual, delta
            case shareOfGrowth = "share_of_growth"
        }
    }

    /// The `limit` components that grew most (for `.down`, fell most; for `.both`, moved most in the direction
    /// of the total change), largest first, ties by name. Components that did not move that way, or with
    /// values that are not finite, are left out.
    public static func rank(_ components: [(name: String, expected: Double, actual: Double)], limit: Int = 3,
                            direction: AnomalyDirection = .up) -> [Contribution] {
        let finite = components.filter { $0.expected.isFinite && $0.actual.isFinite }
        let sign: Double = switch direction {
        case .up: 1
        case .down: -1
        case .both: finite.reduce(0.0) { $0 + ($1.actual - $1.expected) } < 0 ? -1 : 1
        }
        let movers = finite
            .map { (name: $0.name, expected: $0.expected, actual: $0.actual, moved: ($0.actual - $0.expected) * sign) }
            .filter { $0.moved > 0 }
        let gross = movers.reduce(0.0) { $0 + $1.moved }
        guard gross > 0, limit > 0 else { return [] }
        return movers
            .sorted { $0.moved != $1.moved ? $0.moved > $1.moved : $0.name < $1.name }
            .prefix(limit)
            .map { Contribution(name: $0.name, expected: $0.expected, actual: $0.actual,
                                delta: $0.actual - $0.expected, shareOfGrowth: $0.moved / gross) }
    }
}
