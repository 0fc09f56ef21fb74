/// Why a floating-point number cannot be a `Quantity`.
public enum QuantityError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The value is NaN.
    case notANumber
    /// The value is +infinity or -infinity.
    case infinite
    /// The value is below zero.
    case negative
    /// The value is above 10^12.
    case tooLarge

    /// A message for an API error response.
    public var description: String {
        switch self {
        case .notANumber: return "quantity is not a number"
        case .infinite: return "quantity is infinite"
        case .negative: return "quantity must not be negative"
        case .tooLarge: return "quantity must be at most 1000000000000"
        }
    }
}
