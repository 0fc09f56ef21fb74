/// A metered resource: gauges are levels averaged over an interval, counters are amounts used in it.
public enum Resource: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    case cpuCores = "cpu_cores"
    case memoryGiB = "memory_gib"
    case replicas
    case storageGiB = "storage_gib"
    case egressGiB = "egress_gib"
    case requests

    /// How a sample's quantity is read and priced.
    public enum Kind: String, Sendable, Codable {
        /// Average level over `[start, end)`, priced per unit-hour.
        case gauge
        /// Amount used during `[start, end)`, priced per unit.
        case counter
    }

    /// Whether this resource is a gauge or a counter.
    public var kind: Kind {
        switch self {
        case .cpuCores, .memoryGiB, .replicas, .storageGiB: .gauge
        case .egressGiB, .requests: .counter
        }
    }

    public static func < (lhs: Resource, rhs: Resource) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The accepted names, for error messages.
    public static let namesList: String = allCases.map(\.rawValue).joined(separator: ", ")
}
