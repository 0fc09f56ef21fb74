/// One version of a tenant's prices: per unit-hour for gauges, per unit for counters.
///
/// A version is in force from `effectiveFrom` until the next version's; a new version never rewrites history.
public struct RateCard: Sendable, Hashable {
    public var version: Int
    public var effectiveFrom: Timestamp
    public var currency: Currency
    public var prices: [Resource: Price]

    public init(version: Int, effectiveFrom: Timestamp, currency: Currency, prices: [Resource: Price]) {
        self.version = version
        self.effectiveFrom = effectiveFrom
        self.currency = currency
        self.prices = prices
    }
}

/// All versions of a tenant's rate card, ordered by when they take effect.
public struct RateCardHistory: Sendable, Hashable {
    public let versions: [RateCard]

    public init(_ versions: [RateCard]) {
        self.versions = versions.sorted { ($0.effectiveFrom, $0.version) < ($1.effectiveFrom, $1.version) }
    }

    public static let empty = RateCardHistory([])

    /// The version in force at `instant`, if any.
    public func card(at instant: Timestamp) -> RateCard? {
        // Few versions exist; a binary search keeps long histories cheap too.
        var low = 0
        var high = versions.count
        while low < high {
            let middle = (low + high) / 2
            if versions[middle].effectiveFrom <= instant { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? nil : versions[low - 1]
    }

    /// The instants strictly inside `(start, end)` where another version takes effect.
    public func changes(between start: Timestamp, and end: Timestamp) -> [Timestamp] {
        versions.lazy.map(\.effectiveFrom).filter { $0 > start && $0 < end }
    }

    /// The currency of the history (all versions share one), if any version exists.
    public var currency: Currency? { versions.last?.currency }

    /// The latest version.
    public var current: RateCard? { versions.last }
}
