extension Money: CustomStringConvertible {
    /// Parses `-?digits[.digits]` with at most 9 fractional digits, or nil (see `parse(decimalString:)`).
    @inlinable
    public init?(decimalString text: some StringProtocol) {
        guard case .success(let nanos) = FixedPointText.parse(text, scale: 9, range: Money.nanosRange) else { return nil }
        self.init(nanos: Int64(nanos))
    }

    /// Parses `-?digits[.digits]` exactly, or throws why not: no exponent, `+`, spaces, separators,
    /// `NaN` or surrounding text; at most 9 fractional digits; within ±9223372036.854775807.
    @inlinable
    public static func parse(decimalString text: some StringProtocol) throws(DecimalParseError) -> Money {
        Money(nanos: Int64(try FixedPointText.parse(text, scale: 9, range: Money.nanosRange).get()))
    }

    @usableFromInline
    static let nanosRange = Int128(Int64.min)...Int128(Int64.max)

    /// Canonical decimal text: at least 2 fractional digits, further trailing zeros trimmed
    /// ("0.18", "12.40", "-3.00", "0.000000001").
    public var decimalString: String { formatted(grouping: false) }

    /// The canonical decimal text (`decimalString`).
    public var description: String { decimalString }

    /// Text for people: `decimalString`, with "," between thousands when `grouping` ("48,310.00").
    public func formatted(grouping: Bool) -> String {
        let magnitude = nanos.magnitude
        return FixedPointText.format(
            isNegative: nanos < 0,
            integerPart: magnitude / UInt64(Money.nanosPerUnit),
            fraction: magnitude % UInt64(Money.nanosPerUnit),
            scale: 9,
            minimumFractionDigits: 2,
            grouping: grouping
        )
    }
}
