/// A non-negative exact amount of a resource (cores, GiB, requests, …) in nano-units
/// (9 decimal places), at most 10^12 units — so stored in an `Int128`.
public struct Quantity: Sendable, Hashable, Comparable {
    /// The amount in nano-units: 0.5 is 500_000_000.
    public let nanos: Int128

    /// Creates a quantity of `nanos` nano-units, or nil when outside 0...`Quantity.maximum`.
    @inlinable
    public init?(nanos: Int128) {
        guard Quantity.nanosRange.contains(nanos) else { return nil }
        self.nanos = nanos
    }

    @usableFromInline
    init(uncheckedNanos nanos: Int128) {
        self.nanos = nanos
    }

    /// Nano-units per unit.
    public static let nanosPerUnit: Int128 = 1_000_000_000

    /// Decimal places of a `Quantity`.
    public static let fractionDigits = 9

    /// The largest accepted quantity, 10^12 units.
    public static let maximum = Quantity(uncheckedNanos: 1_000_000_000_000 * 1_000_000_000)

    /// Nothing.
    public static let zero = Quantity(uncheckedNanos: 0)

    @usableFromInline
    static let nanosRange: ClosedRange<Int128> = 0...(1_000_000_000_000 * 1_000_000_000)

    /// The quantity as a `Double`, for display only.
    @inlinable
    public var doubleValue: Double {
        Double(nanos) / 1e9
    }

    /// Orders quantities from smallest to largest.
    @inlinable
    public static func < (lhs: Quantity, rhs: Quantity) -> Bool {
        lhs.nanos < rhs.nanos
    }
}
