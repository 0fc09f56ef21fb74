/// A usage sample as it arrives, before validation: every field is kept as sent,
/// so validation can name exactly which field of which sample is wrong.
public struct RawUsageSample: Sendable, Equatable, Decodable {
    /// A JSON value as far as validation cares.
    public enum Value: Sendable, Equatable {
        case missing
        case null
        case string(String)
        case number(Double)
        /// Present but of another type (object, array, boolean), or a number beyond Double's range.
        case other
    }

    public var environment: Value
    public var service: Value
    public var resource: Value
    public var quantity: Value
    public var start: Value
    public var end: Value

    public init(environment: Value, service: Value, resource: Value, quantity: Value, start: Value, end: Value) {
        self.environment = environment
        self.service = service
        self.resource = resource
        self.quantity = quantity
        self.start = start
        self.end = end
    }

    enum CodingKeys: String, CodingKey {
        case environment, service, resource, quantity, start, end
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        environment = Self.value(container, .environment)
        service = Self.value(container, .service)
        resource = Self.value(container, .resource)
        quantity = Self.value(container, .quantity)
        start = Self.value(container, .start)
        end = Self.value(container, .end)
    }

    private static func value(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) -> Value {
        guard container.contains(key) else { return .missing }
        if (try? container.decodeNil(forKey: key)) == true { return .null }
        if let string = try? container.decode(String.self, forKey: key) { return .string(string) }
        if let number = try? container.decode(Double.self, forKey: key) { return .number(number) }
        return .other
    }
}
