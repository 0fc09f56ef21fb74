extension Quantity {
    /// The exact quantity for a measured `Double`, or nil when NaN, infinite, negative or above 10^12.
    @inlinable
    public init?(_ value: Double) {
        guard case .success(let quantity) = Quantity.conversionResult(value) else { return nil }
        self = quantity
    }

    /// The exact quantity for a measured `Double`, or throws why there is none.
    ///
    /// Takes the shortest decimal text that round-trips the `Double` (Swift's `description`:
    /// 0.1 is "0.1", not 0.1000000000000000055…) and rounds it once, half to even, to 9 decimal
    /// places: 1e-10 → 0, 5e-10 → 0, 1.5e-9 → 0.000000002. -0.0 is zero.
    @inlinable
    public static func convert(_ value: Double) throws(QuantityError) -> Quantity {
        try conversionResult(value).get()
    }

    @usableFromInline
    static func conversionResult(_ value: Double) -> Result<Quantity, QuantityError> {
        if value.isNaN { return .failure(.notANumber) }
        if value.isInfinite { return .failure(.infinite) }
        if value < 0 { return .failure(.negative) }
        if value > 1e12 { return .failure(.tooLarge) }
        if value == 0 { return .success(.zero) }
        var text = value.description
        let nanos = text.withUTF8(ShortestDecimal.nanosRoundedHalfEven)
        return .success(Quantity(uncheckedNanos: nanos))
    }
}

/// Reads Swift's shortest round-trip `Double` text ("0.1", "1e-05", "2.5e-09", "1000.0") exactly.
@usableFromInline
enum ShortestDecimal {
    /// The value of a non-negative decimal text `d[.d][e±d]` in nano-units, rounded half to even.
    /// The caller guarantees a value at most 10^12, so the result fits easily in an Int128.
    static func nanosRoundedHalfEven(_ bytes: UnsafeBufferPointer<UInt8>) -> Int128 {
        var significand: UInt64 = 0
        var significantDigits = 0
        var exponent = 0  // value = significand × 10^exponent
        var index = 0
        var afterPoint = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: ".") {
                afterPoint = true
            } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                break
            } else {
                let digit = UInt64(byte &- UInt8(ascii: "0"))
                // A Double's shortest text has at most 17 significant digits; 19 fit a UInt64.
                if significantDigits < 19 {
                    significand = significand * 10 + digit
                    if significand != 0 { significantDigits += 1 }
                    if afterPoint { exponent -= 1 }
                } else if !afterPoint {
                    exponent += 1
                }
            }
            index += 1
        }
        if index < bytes.count {
            index += 1
            var exponentSign = 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                exponentSign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
                index += 1
            }
            var written = 0
            while index < bytes.count {
                written = written * 10 + Int(bytes[index] &- UInt8(ascii: "0"))
                index += 1
            }
            exponent += exponentSign * written
        }

        let shift = exponent + 9
        if shift >= 0 {
            var nanos = UInt128(significand)
            for _ in 0..<shift { nanos *= 10 }
            return Int128(nanos)
        }
        // significand < 10^19 and rounding at 10^k with k > 19 leaves less than half a nano-unit.
        guard -shift <= 19 else { return 0 }
        let divisor = FixedPointText.powersOfTen[-shift]
        let quotient = significand / divisor
        let remainder = significand % divisor
        let roundsUp = remainder > divisor - remainder || (remainder == divisor - remainder && quotient & 1 == 1)
        return Int128(roundsUp ? quotient + 1 : quotient)
    }
}
