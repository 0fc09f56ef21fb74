/// One validated usage sample of a tenant: `quantity` of `resource` used by a service over `[start, end)`.
public struct UsageSample: Sendable, Hashable {
    public var environment: String
    public var service: String
    public var resource: Resource
    /// Gauges: average level over the interval. Counters: amount used in it.
    public var quantity: Double
    public var start: Timestamp
    public var end: Timestamp

    public init(environment: String, service: String, resource: Resource, quantity: Double, start: Timestamp, end: Timestamp) {
        self.environment = environment
        self.service = service
        self.resource = resource
        self.quantity = quantity
        self.start = start
        self.end = end
    }

    /// What makes two samples the same sample: re-sending it is a duplicate, not more usage.
    public var identity: UsageIdentity {
        UsageIdentity(environment: environment, service: service, resource: resource, start: start)
    }
}

/// The identity of a sample within a tenant.
public struct UsageIdentity: Sendable, Hashable, Comparable {
    public var environment: String
    public var service: String
    public var resource: Resource
    public var start: Timestamp

    public init(environment: String, service: String, resource: Resource, start: Timestamp) {
        self.environment = environment
        self.service = service
        self.resource = resource
        self.start = start
    }

    // The order rows are written in, so concurrent writers take row locks in the same order.
    public static func < (lhs: UsageIdentity, rhs: UsageIdentity) -> Bool {
        if lhs.environment != rhs.environment { return lhs.environment < rhs.environment }
        if lhs.service != rhs.service { return lhs.service < rhs.service }
        if lhs.resource != rhs.resource { return lhs.resource < rhs.resource }
        return lhs.start < rhs.start
    }

    /// How users name the sample in messages.
    public var description: String {
        "\(environment)/\(service)/\(resource.rawValue)@\(start.rfc3339)"
    }
}
