import BudgetCore
import BudgetStore

/// The `spec` of a `KubernetesBinding` document.
struct KubernetesBindingSpec: Codable {
    var namespaces: [String: String]?
    var serviceLabel: String?
    var signal: String?
    var unboundNamespaces: String?

    enum CodingKeys: String, CodingKey {
        case namespaces, signal
        case serviceLabel = "service_label"
        case unboundNamespaces = "unbound_namespaces"
    }

    func binding(name: String) throws(ConfigSpecs.Invalid) -> KubernetesBinding {
        guard let namespaces, !namespaces.isEmpty else {
            throw ConfigSpecs.Invalid(field: "namespaces", message: "namespaces maps each bound namespace to an environment", code: "missing_field")
        }
        for (namespace, environment) in namespaces.sorted(by: { $0.key < $1.key }) {
            guard Self.isNamespace(namespace) else {
                throw ConfigSpecs.Invalid(
                    field: "namespaces.\(namespace.prefix(63))", message: "a namespace is a DNS label: lower-case letters, digits and '-', at most 63 characters",
                    code: "invalid_name"
                )
            }
            guard PartitionKey.isValid(environment) else {
                throw ConfigSpecs.Invalid(field: "namespaces.\(namespace)", message: "the environment must match \(PartitionKey.pattern)", code: "invalid_name")
            }
        }
        if let serviceLabel {
            guard (1...316).contains(serviceLabel.utf8.count), serviceLabel.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
                throw ConfigSpecs.Invalid(field: "service_label", message: "service_label is a label key such as app.kubernetes.io/name")
            }
        }
        let signal = self.signal ?? "cpu_utilization"
        guard let kind = Signal.Kind(name: signal), !kind.isForbiddenAlone else {
            throw ConfigSpecs.Invalid(
                field: "signal", message: "signal is the trigger an admission counts as: cpu_utilization, memory_utilization, queue_depth, in_flight or custom:<name>",
                code: "invalid_signal"
            )
        }
        let unbound: KubernetesBinding.UnboundNamespaces
        switch unboundNamespaces ?? "allow" {
        case "allow": unbound = .allow
        case "deny": unbound = .deny
        default: throw ConfigSpecs.Invalid(field: "unbound_namespaces", message: "unbound_namespaces is allow or deny")
        }
        return KubernetesBinding(name: name, namespaces: namespaces, serviceLabel: serviceLabel, signal: signal, unboundNamespaces: unbound)
    }

    /// RFC 1123 label, as Kubernetes names namespaces.
    static func isNamespace(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...63).contains(bytes.count), bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-") else { return false }
        return bytes.allSatisfy { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "-") }
    }
}
