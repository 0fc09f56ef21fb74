/// The part of one sample that falls in one hour under one rate-card version: the unit of the rollups.
public struct CostPiece: Sendable, Hashable {
    /// Start of the hour the piece lies in.
    public var hour: Timestamp
    public var resource: Resource
    /// The rate-card version that priced it; nil when no price applied (unpriced usage).
    public var rateVersion: Int?
    /// The piece's cost, rounded once, half to even, to the nano-unit; zero when unpriced.
    public var cost: Money
    /// Unit-hours for gauges (e.g. core-hours), units for counters. For reporting only.
    public var quantity: Double
    /// Where the piece ends (at most the end of its hour).
    public var end: Timestamp

    public init(hour: Timestamp, resource: Resource, rateVersion: Int?, cost: Money, quantity: Double, end: Timestamp) {
        self.hour = hour
        self.resource = resource
        self.rateVersion = rateVersion
        self.cost = cost
        self.quantity = quantity
        self.end = end
    }

    /// Whether a price applied.
    public var isPriced: Bool { rateVersion != nil }
}
