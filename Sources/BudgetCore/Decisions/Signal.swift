/// A measurement that triggered (or accompanies) a scaling request.
public struct Signal: Sendable, Hashable, Codable {
    public var name: String
    public var value: Double

    public init(name: String, value: Double) {
        self.name = name
        self.value = value
    }

    /// The scaling contract's signal vocabulary.
    public enum Kind: Sendable, Hashable {
        case cpuUtilization, memoryUtilization, queueDepth, inFlight
        /// An explicitly defined custom metric, `custom:<name>`.
        case custom(String)
        /// Error rate and latency percentiles: accepted as context, never as the only trigger.
        case errorRate
        case latency(String)

        public init?(name: String) {
            switch name {
            case "cpu_utilization": self = .cpuUtilization
            case "memory_utilization": self = .memoryUtilization
            case "queue_depth": self = .queueDepth
            case "in_flight": self = .inFlight
            case "error_rate": self = .errorRate
            default:
                // Counted in Unicode scalars, as the OpenAPI document's pattern counts them.
                let scalars = name.unicodeScalars
                if scalars.starts(with: "latency_".unicodeScalars), scalars.count > 8, scalars.count <= 40 {
                    self = .latency(String(String.UnicodeScalarView(scalars.dropFirst(8))))
                } else if name.hasPrefix("custom:"), name.count > 7, PartitionKey.isValid(name.dropFirst(7)) {
                    self = .custom(String(name.dropFirst(7)))
                } else {
                    return nil
                }
            }
        }

        /// The contract's forbidden triggers: error rate alone, latency percentiles alone.
        public var isForbiddenAlone: Bool {
            switch self {
            case .errorRate, .latency: true
            default: false
            }
        }
    }

    /// The allowed triggers when a policy does not list its own.
    public static let defaultAllowed = ["cpu_utilization", "memory_utilization", "queue_depth", "in_flight"]

    static let namesHelp =
        "signals are cpu_utilization, memory_utilization, queue_depth, in_flight, error_rate, latency_<percentile> or custom:<name>"
}
