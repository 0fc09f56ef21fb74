/// Why a text is not an exact decimal amount (`Money`, `Price`, `Quantity`).
public enum DecimalParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The text is empty.
    case empty
    /// Not of the form `-?digits[.digits]` (no `+`, exponent, spaces or separators); `offset` is the first bad byte.
    case invalidSyntax(offset: Int)
    /// More fractional digits than the type holds exactly.
    case tooManyFractionDigits(limit: Int)
    /// A minus sign on a value that must not be negative.
    case negative
    /// The value is outside the type's range (both bounds as canonical decimal text).
    case outOfRange(lowerBound: String, upperBound: String)

    /// A message for an API error response.
    public var description: String {
        switch self {
        case .empty:
            return "decimal value is empty"
        case .invalidSyntax(let offset):
            return "not a plain decimal number (expected -?digits[.digits], no exponent, sign '+', spaces or separators); unexpected input at byte \(offset)"
        case .tooManyFractionDigits(let limit):
            return "at most \(limit) decimal places are allowed"
        case .negative:
            return "value must not be negative"
        case .outOfRange(let lowerBound, let upperBound):
            return "value is outside the supported range \(lowerBound) to \(upperBound)"
        }
    }
}
