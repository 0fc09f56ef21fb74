import BudgetCore

/// A Kubernetes cluster bound to a tenant: which namespace is which environment, how a workload names its
/// service, and what an admission counts as (the `KubernetesBinding` kind in `Budgets/`).
public struct KubernetesBinding: Sendable, Hashable, Codable {
    public enum UnboundNamespaces: String, Sendable, Hashable, Codable {
        case allow, deny
    }

    public var name: String
    /// Namespace → environment.
    public var namespaces: [String: String]
    /// The workload label whose value is the service; nil: the workload's name.
    public var serviceLabel: String?
    /// The trigger signal an admission is recorded with (`cpu_utilization` unless set).
    public var signal: String
    /// What happens to a namespace no binding names.
    public var unboundNamespaces: UnboundNamespaces
    public var version: Int

    public init(
        name: String, namespaces: [String: String], serviceLabel: String? = nil, signal: String = "cpu_utilization",
        unboundNamespaces: UnboundNamespaces = .allow, version: Int = 1
    ) {
        self.name = name
        self.namespaces = namespaces
        self.serviceLabel = serviceLabel
        self.signal = signal
        self.unboundNamespaces = unboundNamespaces
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case name, namespaces, signal, version
        case serviceLabel = "service_label"
        case unboundNamespaces = "unbound_namespaces"
    }
}

extension KubernetesBinding: ConfigObject {
    public static let kind = ConfigKind.kubernetesBinding
    public var configKey: ConfigKey { ConfigKey([("name", name)]) }
}
