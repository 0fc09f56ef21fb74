/// Why an input was refused, naming the field a user has to fix.
public struct FieldError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Machine-readable reason, e.g. `missing_field`, `invalid_quantity`.
    public var code: String
    /// A sentence for people.
    public var message: String
    /// The JSON path of the offending field, e.g. `samples[3].quantity`.
    public var field: String?

    public init(code: String, message: String, field: String?) {
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String { field.map { "\($0): \(message)" } ?? message }
}
