/// Exact a × b × c ÷ d over up to 384-bit intermediates, rounded once, half to even.
enum WideArithmetic {
    /// (a × b × c) / d rounded half to even, or nil when the result does not fit a UInt128 (d > 0).
    static func productQuotientRoundedHalfEven(_ a: UInt128, _ b: UInt128, _ c: UInt128, dividedBy d: UInt128) -> UInt128? {
        let (abHigh, abLow) = a.multipliedFullWidth(by: b)
        let (lowTimesCHigh, limb0) = abLow.multipliedFullWidth(by: c)
        let quotient: UInt128
        let remainder: UInt128
        if abHigh == 0 && lowTimesCHigh == 0 {
            // Common case: the whole product fits 128 bits.
            (quotient, remainder) = limb0.quotientAndRemainder(dividingBy: d)
        } else {
            let (highTimesCHigh, highTimesCLow) = abHigh.multipliedFullWidth(by: c)
            let (limb1, carry) = highTimesCLow.addingReportingOverflow(lowTimesCHigh)
            // The quotient fits 128 bits exactly when the top two limbs are below d.
            guard highTimesCHigh == 0, !carry, limb1 < d else { return nil }
            (quotient, remainder) = d.dividingFullWidth((high: limb1, low: limb0))
        }
        let roundsUp = remainder > d - remainder || (remainder == d - remainder && quotient & 1 == 1)
        guard roundsUp else { return quotient }
        let (rounded, overflow) = quotient.addingReportingOverflow(1)
        return overflow ? nil : rounded
    }
}
