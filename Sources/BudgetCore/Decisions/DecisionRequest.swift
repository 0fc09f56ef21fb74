/// "May `service` in `environment` go from `currentReplicas` to `desiredReplicas`?"
public struct DecisionRequest: Sendable, Hashable, Codable {
    /// The caller's idempotency key: the same id returns the same decision and reserves nothing more.
    public var requestID: String
    public var environment: String
    public var service: String
    public var currentReplicas: Int
    public var desiredReplicas: Int
    /// Resources one replica uses (gauges: cpu_cores, memory_gib, storage_gib); `replicas` is implied.
    public var perReplica: [String: Double]
    /// The signals behind the request (what triggered it, plus context such as error rate).
    public var signals: [Signal]
    /// What one of the current replicas uses before this change, when the change also resizes every replica
    /// (a new pod template); nil: the current replicas already use `perReplica`.
    public var currentPerReplica: [String: Double]?
    /// Why `perReplica` is not known (a Kubernetes `scale` of a workload whose pod template was never seen):
    /// the increment's cost is then unknown, and every `deny` limit on cost refuses it (fail closed).
    public var resourcesUnknown: String?
    /// Where the request came from beyond the decision API (a Kubernetes admission): recorded, never evaluated.
    public var origin: DecisionOrigin?

    public init(
        requestID: String, environment: String, service: String, currentReplicas: Int, desiredReplicas: Int,
        perReplica: [String: Double] = [:], signals: [Signal] = [], currentPerReplica: [String: Double]? = nil,
        resourcesUnknown: String? = nil, origin: DecisionOrigin? = nil
    ) {
        self.requestID = requestID
        self.environment = environment
        self.service = service
        self.currentReplicas = currentReplicas
        self.desiredReplicas = desiredReplicas
        self.perReplica = perReplica
        self.signals = signals
        self.currentPerReplica = currentPerReplica
        self.resourcesUnknown = resourcesUnknown
        self.origin = origin
    }

    enum CodingKeys: String, CodingKey {
        case environment, service, signals, origin
        case requestID = "request_id"
        case currentReplicas = "current_replicas"
        case desiredReplicas = "desired_replicas"
        case perReplica = "per_replica"
        case currentPerReplica = "current_per_replica"
        case resourcesUnknown = "resources_unknown"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        requestID = try container.decode(String.self, forKey: .requestID)
        environment = try container.decode(String.self, forKey: .environment)
        service = try container.decode(String.self, forKey: .service)
        currentReplicas = try container.decode(Int.self, forKey: .currentReplicas)
        desiredReplicas = try container.decode(Int.self, forKey: .desiredReplicas)
        perReplica = try container.decodeIfPresent([String: Double].self, forKey: .perReplica) ?? [:]
        signals = try container.decodeIfPresent([Signal].self, forKey: .signals) ?? []
        currentPerReplica = try container.decodeIfPresent([String: Double].self, forKey: .currentPerReplica)
        resourcesUnknown = try container.decodeIfPresent(String.self, forKey: .resourcesUnknown)
        origin = try container.decodeIfPresent(DecisionOrigin.self, forKey: .origin)
    }

    /// The resources of one replica as typed values (unknown names were refused by validation).
    public var perReplicaResources: [Resource: Double] {
        var resources: [Resource: Double] = [:]
        for (name, value) in perReplica {
            if let resource = Resource(rawValue: name) { resources[resource] = value }
        }
        return resources
    }

    /// Why the request cannot be evaluated, naming the field; nil when it is well-formed.
    public var problem: FieldError? {
        guard (1...128).contains(requestID.utf8.count), requestID.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return FieldError(code: "invalid_value", message: "request_id must be 1 to 128 printable ASCII characters", field: "request_id")
        }
        guard PartitionKey.isValid(environment) else {
            return FieldError(code: "invalid_name", message: "environment must match \(PartitionKey.pattern)", field: "environment")
        }
        guard PartitionKey.isValid(service) else {
            return FieldError(code: "invalid_name", message: "service must match \(PartitionKey.pattern)", field: "service")
        }
        guard (0...100_000).contains(currentReplicas) else {
            return FieldError(code: "invalid_value", message: "current_replicas must be between 0 and 100000", field: "current_replicas")
        }
        guard (0...100_000).contains(desiredReplicas) else {
            return FieldError(code: "invalid_value", message: "desired_replicas must be between 0 and 100000", field: "desired_replicas")
        }
        for (field, resources) in [("per_replica", perReplica), ("current_per_replica", currentPerReplica ?? [:])] {
            for (name, value) in resources.sorted(by: { $0.key < $1.key }) {
                guard let resource = Resource(rawValue: name), resource.kind == .gauge, resource != .replicas else {
                    return FieldError(
                        code: "unknown_resource", message: "\(field) takes cpu_cores, memory_gib and storage_gib", field: "\(field).\(name.prefix(64))"
                    )
                }
                guard value.isFinite, value >= 0, value <= 1_000_000 else {
                    return FieldError(code: "invalid_value", message: "\(field).\(name) must be a number between 0 and 1e6", field: "\(field).\(name)")
                }
            }
        }
        if let resourcesUnknown, resourcesUnknown.unicodeScalars.contains("\u{0}") || resourcesUnknown.unicodeScalars.count > 1_024 {
            return FieldError(code: "invalid_value", message: "resources_unknown must be at most 1024 characters without U+0000", field: "resources_unknown")
        }
        guard signals.count <= 32 else {
            return FieldError(code: "invalid_value", message: "at most 32 signals", field: "signals")
        }
        for (index, signal) in signals.enumerated() {
            guard Signal.Kind(name: signal.name) != nil else {
                return FieldError(code: "invalid_signal", message: "unknown signal '\(signal.name.prefix(64))'; \(Signal.namesHelp)", field: "signals[\(index)].name")
            }
            guard signal.value.isFinite else {
                return FieldError(code: "invalid_value", message: "a signal's value must be a finite number", field: "signals[\(index)].value")
            }
        }
        return nil
    }
}
