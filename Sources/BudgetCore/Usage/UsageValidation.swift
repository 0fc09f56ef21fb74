/// Turns raw samples into validated ones, or names the first bad field.
public enum UsageValidation {
    /// The longest interval one sample may cover; longer ones would fan out into thousands of hourly pieces.
    public static let maximumSampleDuration: Int64 = 24 * 3_600_000_000
    /// The largest quantity accepted (the exact cost arithmetic is bounded by it).
    public static let maximumQuantity: Double = 1e12
    /// The earliest and latest instants a sample may touch.
    public static let earliest = Timestamp(microsecondsSinceEpoch: 946_684_800_000_000)  // 2000-01-01T00:00:00Z
    public static let latest = Timestamp(microsecondsSinceEpoch: 4_102_444_800_000_000)  // 2100-01-01T00:00:00Z

    /// Validates one sample; `path` names it in errors (e.g. `samples[3]` or `line 4`) and is built only for an error.
    public static func validate(_ raw: RawUsageSample, path: @autoclosure () -> String) -> Result<UsageSample, FieldError> {
        do {
            return .success(try sample(raw))
        } catch var error as FieldError {
            error.field = error.field.map { "\(path()).\($0)" } ?? path()
            return .failure(error)
        } catch {
            return .failure(FieldError(code: "invalid_sample", message: "\(error)", field: path()))
        }
    }

    /// The sample, or the first bad field (named relative to the sample).
    private static func sample(_ raw: RawUsageSample) throws -> UsageSample {
        let environment = try name(raw.environment, field: "environment")
        let service = try name(raw.service, field: "service")
        let resource = try resource(raw.resource)
        let quantity = try quantity(raw.quantity)
        let start = try timestamp(raw.start, field: "start")
        let end = try timestamp(raw.end, field: "end")
        guard end > start else {
            throw FieldError(
                code: "invalid_interval",
                message: "end (\(end.rfc3339)) must be after start (\(start.rfc3339))",
                field: "end"
            )
        }
        guard end.microsecondsSinceEpoch - start.microsecondsSinceEpoch <= maximumSampleDuration else {
            throw FieldError(
                code: "invalid_interval",
                message: "a sample covers at most 24 hours; split longer intervals into several samples",
                field: "end"
            )
        }
        guard start >= earliest, end <= latest else {
            throw FieldError(
                code: "invalid_timestamp",
                message: "samples must lie between 2000-01-01 and 2100-01-01",
                field: "start"
            )
        }
        return UsageSample(environment: environment, service: service, resource: resource, quantity: quantity, start: start, end: end)
    }

    static func missing(_ field: String) -> FieldError {
        FieldError(code: "missing_field", message: "\(field) is required", field: field)
    }

    static func name(_ value: RawUsageSample.Value, field: String) throws -> String {
        switch value {
        case .missing, .null: throw missing(field)
        case .string(let name) where PartitionKey.isValid(name): return name
        case .string:
            throw FieldError(
                code: "invalid_name",
                message: "\(field) must match \(PartitionKey.pattern) (lower-case letters, digits, '.', '_', '-'; at most 63 characters)",
                field: field
            )
        default: throw FieldError(code: "invalid_type", message: "\(field) must be a string", field: field)
        }
    }

    static func resource(_ value: RawUsageSample.Value) throws -> Resource {
        switch value {
        case .missing, .null: throw missing("resource")
        case .string(let name):
            guard let resource = Resource(rawValue: name) else {
                throw FieldError(
                    code: "unknown_resource",
                    message: "unknown resource '\(name.prefix(64))'; known resources: \(Resource.namesList)",
                    field: "resource"
                )
            }
            return resource
        default: throw FieldError(code: "invalid_type", message: "resource must be a string", field: "resource")
        }
    }

    static func quantity(_ value: RawUsageSample.Value) throws -> Double {
        let field = "quantity"
        switch value {
        case .missing, .null: throw missing("quantity")
        case .number(let quantity):
            guard quantity.isFinite else {
                throw FieldError(code: "invalid_quantity", message: "quantity must be a finite number", field: field)
            }
            guard quantity >= 0 else {
                throw FieldError(code: "invalid_quantity", message: "quantity must not be negative", field: field)
            }
            guard quantity <= maximumQuantity else {
                throw FieldError(code: "invalid_quantity", message: "quantity must be at most 1e12", field: field)
            }
            return quantity
        case .string:
            throw FieldError(code: "invalid_type", message: "quantity must be a JSON number, not a string", field: field)
        case .other:
            throw FieldError(code: "invalid_quantity", message: "quantity must be a finite number", field: field)
        }
    }

    static func timestamp(_ value: RawUsageSample.Value, field: String) throws -> Timestamp {
        switch value {
        case .missing, .null: throw missing(field)
        case .string(let text):
            guard let timestamp = Timestamp(rfc3339: text) else {
                throw FieldError(
                    code: "invalid_timestamp",
                    message: "\(field) must be an RFC 3339 timestamp with an offset, e.g. 2026-11-29T10:00:00Z",
                    field: field
                )
            }
            return timestamp
        default:
            throw FieldError(code: "invalid_type", message: "\(field) must be an RFC 3339 string", field: field)
        }
    }
}
