extension Money {
    /// The exact sum, or nil if it does not fit.
    @inlinable
    public func adding(_ other: Money) -> Money? {
        let (sum, overflow) = nanos.addingReportingOverflow(other.nanos)
        return overflow ? nil : Money(nanos: sum)
    }

    /// The exact difference, or nil if it does not fit.
    @inlinable
    public func subtracting(_ other: Money) -> Money? {
        let (difference, overflow) = nanos.subtractingReportingOverflow(other.nanos)
        return overflow ? nil : Money(nanos: difference)
    }

    /// The exact product with a whole number, or nil if it does not fit.
    @inlinable
    public func multiplied(by factor: Int) -> Money? {
        let (product, overflow) = nanos.multipliedReportingOverflow(by: Int64(factor))
        return overflow ? nil : Money(nanos: product)
    }

    /// The quotient rounded half to even to the nano-unit, or nil when `divisor` is 0 or it does not fit.
    @inlinable
    public func divided(by divisor: Int) -> Money? {
        let divisor = Int64(divisor)
        guard divisor != 0, !(nanos == .min && divisor == -1) else { return nil }
        let quotient = nanos / divisor
        let remainder = nanos % divisor
        let twiceRemainderPastHalf = remainder.magnitude > divisor.magnitude - remainder.magnitude
        let isTie = remainder.magnitude == divisor.magnitude - remainder.magnitude
        guard remainder != 0, twiceRemainderPastHalf || (isTie && quotient & 1 != 0) else {
            return Money(nanos: quotient)
        }
        // Round away from zero, in the direction of the exact quotient's sign.
        return Money(nanos: (nanos < 0) == (divisor < 0) ? quotient + 1 : quotient - 1)
    }

    /// `self` as a percentage of `base` (50.0 for half), for display only: never feed it back into money.
    /// A zero `base` gives 0 for a zero amount and ±infinity otherwise.
    @inlinable
    public func percent(of base: Money) -> Double {
        if base.nanos == 0 { return nanos == 0 ? 0 : (nanos > 0 ? .infinity : -.infinity) }
        return Double(nanos) / Double(base.nanos) * 100
    }
}
