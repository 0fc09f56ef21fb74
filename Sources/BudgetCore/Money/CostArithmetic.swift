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
