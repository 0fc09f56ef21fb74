/// A non-negative exact price in pico-units (10^-12 of the currency unit) per unit or per unit-hour.
public struct Price: Sendable, Hashable, Comparable {
    /// The price in pico-units: 0.04 is 40_000_000_000.
    public let picos: Int64

    /// Creates a price of `picos` pico-units, or nil when negative.
    @inlinable
    public init?(picos: Int64) {
        guard picos >= 0 else { return nil }
        self.picos = picos
    }

    @usableFromInline
    init(uncheckedPicos picos: Int64) {
        self.picos = picos
    }

    /// Pico-units per currency unit.
    public static let picosPerUnit: Int64 = 1_000_000_000_000

    /// Decimal places of a `Price`.
    public static let fractionDigits = 12

    /// Free.
    public static let zero = Price(uncheckedPicos: 0)

    /// Orders prices from cheapest to dearest.
    @inlinable
    public static func < (lhs: Price, rhs: Price) -> Bool {
        lhs.picos < rhs.picos
    }
}
