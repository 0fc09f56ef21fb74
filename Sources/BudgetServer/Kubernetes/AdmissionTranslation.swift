import BudgetCore
import BudgetStore

/// What an admission review asks, in the core's terms: a decision request, or an answer without one (a kind the
/// webhook does not handle, an unbound namespace, a change that costs nothing).
enum AdmissionTranslation: Sendable {
    /// Allowed (or, for an unbound namespace under `unbound_namespaces: deny`, denied) without a decision.
    case answer(allowed: Bool, warning: String?)
    case decide(AdmissionCase)
}

/// One admission to decide: the request, and what the answer needs to know of the workload.
struct AdmissionCase: Sendable {
    var request: DecisionRequest
    var workload: KubernetesWorkload
    /// The pod template's requests when the review carried one (remembered when admitted).
    var podTemplate: PodResources?
    /// Whether the object has `spec.replicas` (a patch replaces it; otherwise adds it).
    var hasReplicasField: Bool
    var dryRun: Bool
}

/// A review the webhook cannot read: 400, naming the field.
struct AdmissionInvalid: Error, Sendable {
    var field: String
    var message: String

    var apiError: APIError { APIError(.badRequest, code: "invalid_admission_review", message: message, field: field) }
}

/// Turns an `AdmissionRequest` into an `AdmissionTranslation` with the tenant's bindings (`bindings`, in name
/// order); reads the store only for what the review lacks (a workload's remembered requests, recent usage).
struct AdmissionTranslator: Sendable {
    let store: BudgetStore

    static let source = "kubernetes_admission"
    static let workloadKinds = ["deployments": "Deployment", "statefulsets": "StatefulSet"]

    func translate(_ review: AdmissionRequest, tenant: String, bindings: [KubernetesBinding], now: Timestamp) async throws -> AdmissionTranslation {
        guard (1...120).contains(review.uid.utf8.count), review.uid.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw AdmissionInvalid(field: "request.uid", message: "request.uid must be 1 to 120 printable ASCII characters")
        }
        let resource = review.resource
        guard review.resource.group == "apps", let kind = Self.workloadKinds[resource.resource],
            review.subResource == nil || review.subResource == "" || review.subResource == "scale"
        else {
            let what = [resource.group, resource.version, resource.resource].filter { !$0.isEmpty }.joined(separator: "/")
                + (review.subResource.map { $0.isEmpty ? "" : "/\($0)" } ?? "")
            return .answer(allowed: true, warning: "chartly-budget: not checked: \(what) is not a kind it handles (apps/v1 deployments, statefulsets and their scale)")
        }
        guard review.operation == "CREATE" || review.operation == "UPDATE" else {
            return .answer(allowed: true, warning: "chartly-budget: not checked: \(review.operation) of \(resource.resource) is not a change of replicas or requests")
        }
        guard let namespace = review.namespace, !namespace.isEmpty else {
            throw AdmissionInvalid(field: "request.namespace", message: "request.namespace is required for \(resource.resource)")
        }
        let isScale = review.subResource == "scale"
        guard let object = review.object, object.objectValue != nil else {
            throw AdmissionInvalid(field: "request.object", message: "request.object is required for \(review.operation) of \(resource.resource)")
        }
        let name = review.name.flatMap { $0.isEmpty ? nil : $0 } ?? object["metadata"]?["name"]?.stringValue ?? ""
        guard !name.isEmpty else { throw AdmissionInvalid(field: "request.name", message: "request.name (or request.object.metadata.name) is required") }

        // The binding that names this namespace (bindings in name order; the first wins).
        guard let binding = bindings.first(where: { $0.namespaces[namespace] != nil }), let environment = binding.namespaces[namespace] else {
            if bindings.contains(where: { $0.unboundNamespaces == .deny }) {
                return .answer(allowed: false, warning: "chartly-budget: deny: namespace \(namespace) is bound to no environment of tenant \(tenant) (unbound_namespaces: deny)")
            }
            return .answer(allowed: true, warning: "chartly-budget: not checked: namespace \(namespace) is bound to no environment of tenant \(tenant)")
        }

        let replicas = try Self.replicas(object, old: review.oldObject, operation: review.operation, isScale: isScale)
        var podTemplate: PodResources?
        var oldTemplate: PodResources?
        if !isScale {
            podTemplate = try Self.resources(object, field: "request.object")
            if review.operation == "UPDATE" {
                guard let old = review.oldObject else {
                    throw AdmissionInvalid(field: "request.oldObject", message: "request.oldObject is required for UPDATE of \(resource.resource)")
                }
                oldTemplate = try Self.resources(old, field: "request.oldObject")
            }
            if replicas.desired == replicas.current, podTemplate == oldTemplate {
                return .answer(allowed: true, warning: nil)
            }
        }
        let remembered = isScale ? try await store.workload(tenant: tenant, namespace: namespace, kind: kind, name: name) : nil
        let service = try Self.service(of: object, name: name, label: binding.serviceLabel, remembered: remembered)
        var perReplica: [String: Double] = podTemplate?.perReplica ?? [:]
        var unknown: String?
        var basis = "pod template"
        if isScale {
            if let remembered {
                perReplica = remembered.perReplica
                basis = "requests last admitted (decision \(remembered.decisionID.uuidString.lowercased()))"
            } else if let usage = try await store.recentUsagePerReplica(tenant: tenant, environment: environment, service: service, now: now) {
                perReplica = usage
                basis = "recent usage per replica"
            } else {
                unknown = "the requests of \(kind.lowercased()) \(namespace)/\(name) are unknown (no pod template of it was admitted, and \(service) reported no usage in the last 3 hours)"
                basis = "unknown"
            }
        }
        let currentPerReplica = oldTemplate.flatMap { $0 == podTemplate ? nil : $0.perReplica }
        let details: JSONValue = .object([
            "uid": .string(review.uid),
            "binding": .string(binding.name),
            "kind": .string(review.kind.kind),
            "resource": .string("\(resource.group)/\(resource.version)/\(resource.resource)"),
            "sub_resource": review.subResource.map { JSONValue.string($0) } ?? .null,
            "namespace": .string(namespace),
            "name": .string(name),
            "operation": .string(review.operation),
            "groups": .array((review.userInfo?.groups ?? []).map { .string($0) }),
            "per_replica_from": .string(basis),
            "object": object,
        ])
        let request = DecisionRequest(
            requestID: "k8s:\(review.uid)", environment: environment, service: service, currentReplicas: replicas.current,
            desiredReplicas: replicas.desired, perReplica: perReplica, signals: [Signal(name: binding.signal, value: 0)],
            currentPerReplica: currentPerReplica, resourcesUnknown: unknown,
            origin: DecisionOrigin(source: Self.source, user: review.userInfo?.username, details: details)
        )
        if let problem = request.problem {
            throw AdmissionInvalid(field: problem.field ?? "request", message: "the review does not make a valid decision request: \(problem.message)")
        }
        let workload = KubernetesWorkload(
            namespace: namespace, kind: kind, name: name, environment: environment, service: service, perReplica: perReplica,
            decisionID: .init(), updatedAt: now
        )
        return .decide(
            AdmissionCase(
                request: request, workload: workload, podTemplate: podTemplate, hasReplicasField: object["spec"]?["replicas"] != nil,
                dryRun: review.dryRun ?? false
            )
        )
    }

    /// Replicas before and after: a CREATE starts from 0; an unset `spec.replicas` is 1 (the API server's default).
    static func replicas(_ object: JSONValue, old: JSONValue?, operation: String, isScale: Bool) throws -> (current: Int, desired: Int) {
        func count(_ value: JSONValue?, field: String, default fallback: Int?) throws -> Int {
            guard let value, value != .null else {
                if let fallback { return fallback }
                throw AdmissionInvalid(field: field, message: "\(field) is required")
            }
            guard let number = value.numberValue, number >= 0, number <= 100_000, number == number.rounded() else {
                throw AdmissionInvalid(field: field, message: "\(field) must be a whole number between 0 and 100000")
            }
            return Int(number)
        }
        let desired = try count(object["spec"]?["replicas"], field: "request.object.spec.replicas", default: isScale ? nil : 1)
        if operation == "CREATE" { return (0, desired) }
        if isScale {
            let current = try count(old?["spec"]?["replicas"] ?? object["status"]?["replicas"], field: "request.oldObject.spec.replicas", default: nil)
            return (current, desired)
        }
        guard let old else { throw AdmissionInvalid(field: "request.oldObject", message: "request.oldObject is required for UPDATE") }
        return (try count(old["spec"]?["replicas"], field: "request.oldObject.spec.replicas", default: 1), desired)
    }

    static func resources(_ object: JSONValue, field: String) throws -> PodResources {
        do {
            return try PodResources(workload: object)
        } catch {
            throw AdmissionInvalid(field: error.field.replacingPrefix("request.object", with: field), message: error.message.replacingPrefix("request.object", with: field))
        }
    }

    /// The service: the binding's label on the workload (or its pod template), else the workload's name; a
    /// `scale` (no labels) takes the service last admitted for the workload.
    static func service(of object: JSONValue, name: String, label: String?, remembered: KubernetesWorkload?) throws -> String {
        if let remembered { return remembered.service }
        var service = name
        if let label {
            service = object["metadata"]?["labels"]?[label]?.stringValue
                ?? object["spec"]?["template"]?["metadata"]?["labels"]?[label]?.stringValue ?? name
        }
        guard PartitionKey.isValid(service) else {
            throw AdmissionInvalid(
                field: label.map { "request.object.metadata.labels.\($0)" } ?? "request.name",
                message: "the service name '\(service.prefix(80))' must match \(PartitionKey.pattern) (at most 63 characters)"
            )
        }
        return service
    }
}

extension String {
    fileprivate func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
