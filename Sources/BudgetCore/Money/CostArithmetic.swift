/// Exact cost formulas: integer arithmetic on nano- and pico-units, rounded once, half to even,
/// to the nano-unit of money. Never `Double`, except `unitHours` for display.
public enum CostArithmetic {
    /// Nano-units of quantity × µs per hour × pico-units of price per unit, over nano-units of money.
    static let gaugeDivisor: UInt128 = 1_000_000_000 * 3_600_000_000 * 1_000_000_000_000 / 1_000_000_000
    /// Nano-units of quantity × pico-units of price per unit, over nano-units of money.
    static let counterDivisor: UInt128 = 1_000_000_000_000

    /// quantity × (duration ÷ 1 hour) × price per unit-hour, for gauges (cores, GiB, replicas);
    /// nil only when the cost does not fit `Money`. A negative duration gives a negative cost.
    public static func gaugeCost(quantity: Quantity, durationMicroseconds: Int64, pricePerUnitHour: Price) -> Money? {
        let magnitude = WideArithmetic.productQuotientRoundedHalfEven(
            UInt128(quantity.nanos), UInt128(durationMicroseconds.magnitude), UInt128(pricePerUnitHour.picos),
            dividedBy: gaugeDivisor
        )
        return money(magnitude: magnitude, isNegative: durationMicroseconds < 0)
    }

    /// `gaugeCost(quantity:durationMicroseconds:pricePerUnitHour:)` for a `TimeSpan`.
    public static func gaugeCost(quantity: Quantity, duration: TimeSpan, pricePerUnitHour: Price) -> Money? {
        gaugeCost(quantity: quantity, durationMicroseconds: duration.microseconds, pricePerUnitHour: pricePerUnitHour)
    }

    /// quantity × price per unit, for counters (requests, egress GiB); nil only when it does not fit `Money`.
    public static func counterCost(quantity: Quantity, pricePerUnit: Price) -> Money? {
        let magnitude = WideArithmetic.productQuotientRoundedHalfEven(
            UInt128(quantity.nanos), UInt128(pricePerUnit.picos), 1, dividedBy: counterDivisor
        )
        return money(magnitude: magnitude, isNegative: false)
    }

    /// quantity × duration in hours (e.g. core-hours), as a `Double` for display only.
    public static func unitHours(quantity: Quantity, durationMicroseconds: Int64) -> Double {
        quantity.doubleValue * (Double(durationMicroseconds) / Double(Timestamp.microsecondsPerHour))
    }

    private static func money(magnitude: UInt128?, isNegative: Bool) -> Money? {
        guard let magnitude, let signed = Int128(exactly: magnitude) else { return nil }
        guard let nanos = Int64(exactly: isNegative ? -signed : signed) else { return nil }
        return Money(nanos: nanos)
    }
}

extension CostArithmetic {
    /// The cost of `share / whole` of a counter's quantity (a counter spread over its interval), rounded once;
    /// nil when it does not fit `Money` or the shares are not 0 ≤ share ≤ whole, whole > 0.
    public static func counterCost(quantity: Quantity, pricePerUnit: Price, share: Int64, of whole: Int64) -> Money? {
        guard whole > 0, share >= 0, share <= whole else { return nil }
        let magnitude = WideArithmetic.productQuotientRoundedHalfEven(
            UInt128(quantity.nanos), UInt128(pricePerUnit.picos), UInt128(share),
            dividedBy: counterDivisor * UInt128(whole)
        )
        guard let magnitude, let nanos = Int64(exactly: magnitude) else { return nil }
        return Money(nanos: nanos)
    }

    /// `amount` per hour over `durationMicroseconds` (a run rate carried forward), rounded once.
    public static func perHour(_ amount: Money, over durationMicroseconds: Int64) -> Money? {
        guard durationMicroseconds >= 0 else { return nil }
        let magnitude = WideArithmetic.productQuotientRoundedHalfEven(
            UInt128(amount.nanos.magnitude), UInt128(durationMicroseconds), 1,
            dividedBy: UInt128(Timestamp.microsecondsPerHour)
        )
        guard let magnitude, let value = Int64(exactly: magnitude) else { return nil }
        return Money(nanos: amount.nanos < 0 ? -value : value)
    }
}
