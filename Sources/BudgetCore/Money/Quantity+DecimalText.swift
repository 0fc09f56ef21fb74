extension Quantity: CustomStringConvertible {
    /// Parses `digits[.digits]` with at most 9 fractional digits, or nil (see `parse(decimalString:)`).
    @inlinable
    public init?(decimalString text: some StringProtocol) {
        guard case .success(let nanos) = FixedPointText.parse(text, scale: 9, range: Quantity.nanosRange) else { return nil }
        self.init(uncheckedNanos: nanos)
    }

    /// Parses `digits[.digits]` exactly, or throws why not: not negative, at most 9 fractional digits,
    /// at most 10^12; same syntax rules as `Money.parse(decimalString:)`.
    @inlinable
    public static func parse(decimalString text: some StringProtocol) throws(DecimalParseError) -> Quantity {
        Quantity(uncheckedNanos: try FixedPointText.parse(text, scale: 9, range: Quantity.nanosRange).get())
    }

    /// The shortest exact decimal text: "3", "0.5", "0.000000001".
    public var description: String {
        FixedPointText.format(nanos, scale: 9, minimumFractionDigits: 0, grouping: false)
    }
}
