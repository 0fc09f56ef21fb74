/// Decimal text for fixed-point integers (value × 10^scale), over UTF-8 bytes, without Foundation.
@usableFromInline
enum FixedPointText {
    /// 10^0 ... 10^19, every power of ten a UInt64 holds.
    static let powersOfTen: [UInt64] = (0...19).map { (0..<$0).reduce(1 as UInt64) { value, _ in value * 10 } }

    /// Parses `-?digits[.digits]` with at most `scale` fractional digits into value × 10^scale,
    /// checked against `range` (in the same scaled units).
    @usableFromInline
    static func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, scale: Int, range: ClosedRange<Int128>
    ) -> Result<Int128, DecimalParseError> {
        let count = bytes.count
        guard count > 0 else { return .failure(.empty) }
        var index = 0
        let isNegative = bytes[0] == UInt8(ascii: "-")
        if isNegative { index = 1 }

        var integerPart: UInt64 = 0
        var integerOverflow = false
        let integerStart = index
        while index < count, case let digit = bytes[index] &- UInt8(ascii: "0"), digit < 10 {
            let (times10, overflow1) = integerPart.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit))
            integerOverflow = integerOverflow || overflow1 || overflow2
            integerPart = sum
            index += 1
        }
        guard index > integerStart else { return .failure(.invalidSyntax(offset: index)) }

        var fraction: UInt64 = 0
        var fractionDigits = 0
        if index < count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let fractionStart = index
            while index < count, case let digit = bytes[index] &- UInt8(ascii: "0"), digit < 10 {
                if fractionDigits < scale { fraction = fraction * 10 + UInt64(digit) }
                fractionDigits += 1
                index += 1
            }
            guard index > fractionStart else { return .failure(.invalidSyntax(offset: index)) }
        }
        guard index == count else { return .failure(.invalidSyntax(offset: index)) }
        guard fractionDigits <= scale else { return .failure(.tooManyFractionDigits(limit: scale)) }

        let magnitude = integerOverflow
            ? nil
            : UInt128(integerPart).multipliedReportingOverflow(by: UInt128(powersOfTen[scale]))
        guard let magnitude, !magnitude.overflow else { return .failure(outOfRange(range, scale: scale)) }
        let scaled = magnitude.partialValue + UInt128(fraction * powersOfTen[scale - fractionDigits])
        if isNegative, scaled != 0, range.lowerBound >= 0 { return .failure(.negative) }
        guard let value = Int128(exactly: scaled).map({ isNegative ? -$0 : $0 }), range.contains(value) else {
            return .failure(outOfRange(range, scale: scale))
        }
        return .success(value)
    }

    static func outOfRange(_ range: ClosedRange<Int128>, scale: Int) -> DecimalParseError {
        .outOfRange(
            lowerBound: format(range.lowerBound, scale: scale, minimumFractionDigits: 0, grouping: false),
            upperBound: format(range.upperBound, scale: scale, minimumFractionDigits: 0, grouping: false)
        )
    }

    /// Parses through the contiguous UTF-8 of `text` (copying only for non-contiguous strings).
    @inlinable
    static func parse(_ text: some StringProtocol, scale: Int, range: ClosedRange<Int128>) -> Result<Int128, DecimalParseError> {
        if let result = text.utf8.withContiguousStorageIfAvailable({ parse($0, scale: scale, range: range) }) {
            return result
        }
        return Array(text.utf8).withUnsafeBufferPointer { parse($0, scale: scale, range: range) }
    }

    /// Formats value / 10^scale: trailing fractional zeros trimmed down to `minimumFractionDigits`,
    /// optional `,` every three integer digits, `-` for negatives. The integer part must fit a UInt64.
    static func format(_ value: Int128, scale: Int, minimumFractionDigits: Int, grouping: Bool) -> String {
        let magnitude = value.magnitude
        let unit = UInt128(powersOfTen[scale])
        return format(
            isNegative: value < 0,
            integerPart: UInt64(magnitude / unit),
            fraction: UInt64(magnitude % unit),
            scale: scale,
            minimumFractionDigits: minimumFractionDigits,
            grouping: grouping
        )
    }

    /// Formats `integerPart.fraction` where `fraction` has `scale` digits (see the Int128 overload).
    static func format(
        isNegative: Bool, integerPart: UInt64, fraction: UInt64,
        scale: Int, minimumFractionDigits: Int, grouping: Bool
    ) -> String {
        // Longest: "-" + 20 digits + 6 commas + "." + 19 digits = 47 bytes.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 48) { buffer in
            var end = buffer.count
            var shownDigits = scale
            var shownFraction = fraction
            while shownDigits > minimumFractionDigits, shownFraction % 10 == 0 {
                shownFraction /= 10
                shownDigits -= 1
            }
            for _ in 0..<shownDigits {
                end -= 1
                buffer[end] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: shownFraction % 10)
                shownFraction /= 10
            }
            if shownDigits > 0 {
                end -= 1
                buffer[end] = UInt8(ascii: ".")
            }
            var rest = integerPart
            var written = 0
            repeat {
                if grouping, written > 0, written % 3 == 0 {
                    end -= 1
                    buffer[end] = UInt8(ascii: ",")
                }
                end -= 1
                buffer[end] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
                written += 1
            } while rest > 0
            if isNegative {
                end -= 1
                buffer[end] = UInt8(ascii: "-")
            }
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[end...]), as: UTF8.self)
        }
    }
}
