extension Price: CustomStringConvertible {
    /// Parses `digits[.digits]` with at most 12 fractional digits, or nil (see `parse(decimalString:)`).
    @inlinable
    public init?(decimalString text: some StringProtocol) {
        guard case .success(let picos) = FixedPointText.parse(text, scale: 12, range: Price.picosRange) else { return nil }
        self.init(uncheckedPicos: Int64(picos))
    }

    /// Parses `digits[.digits]` exactly, or throws why not: not negative, at most 12 fractional digits,
    /// at most 9223372.036854775807; same syntax rules as `Money.parse(decimalString:)`.
    @inlinable
    public static func parse(decimalString text: some StringProtocol) throws(DecimalParseError) -> Price {
        Price(uncheckedPicos: Int64(try FixedPointText.parse(text, scale: 12, range: Price.picosRange).get()))
    }

    @usableFromInline
    static let picosRange = Int128(0)...Int128(Int64.max)

    /// Canonical decimal text: at least 2 fractional digits, further trailing zeros trimmed
    /// ("0.04", "5.00", "0.000000000001").
    public var decimalString: String {
        let magnitude = UInt64(picos)
        return FixedPointText.format(
            isNegative: false,
            integerPart: magnitude / UInt64(Price.picosPerUnit),
            fraction: magnitude % UInt64(Price.picosPerUnit),
            scale: 12,
            minimumFractionDigits: 2,
            grouping: false
        )
    }

    /// The canonical decimal text (`decimalString`).
    public var description: String { decimalString }
}
