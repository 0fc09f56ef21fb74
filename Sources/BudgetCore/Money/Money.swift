/// An exact amount of money in nano-units (10^-9 of the currency unit), stored in an `Int64`.
///
/// The project's rounding rule: money is fixed-point with 9 decimal places; every computed
/// amount is rounded once, half to even, to the nano-unit. `+` and `-` trap on overflow like
/// `Int64`; `adding(_:)`, `subtracting(_:)`, `multiplied(by:)` and `divided(by:)` return nil instead.
public struct Money: Sendable, Hashable, Comparable, AdditiveArithmetic {
    /// The amount in nano-units: 1.00 is 1_000_000_000.
    public let nanos: Int64

    /// Creates an amount of `nanos` nano-units.
    @inlinable
    public init(nanos: Int64) {
        self.nanos = nanos
    }

    /// Nano-units per currency unit.
    public static let nanosPerUnit: Int64 = 1_000_000_000

    /// Decimal places of a `Money` value.
    public static let fractionDigits = 9

    /// No money.
    public static let zero = Money(nanos: 0)

    /// Whether the amount is below zero.
    @inlinable
    public var isNegative: Bool { nanos < 0 }

    /// Orders amounts from most negative to most positive.
    @inlinable
    public static func < (lhs: Money, rhs: Money) -> Bool {
        lhs.nanos < rhs.nanos
    }

    /// The exact sum; traps on overflow (see `adding(_:)`).
    @inlinable
    public static func + (lhs: Money, rhs: Money) -> Money {
        Money(nanos: lhs.nanos + rhs.nanos)
    }

    /// The exact difference; traps on overflow (see `subtracting(_:)`).
    @inlinable
    public static func - (lhs: Money, rhs: Money) -> Money {
        Money(nanos: lhs.nanos - rhs.nanos)
    }
}
