extension DecisionRequest {
    /// How much more of each resource the current replicas use after the change: currentReplicas × (new − old)
    /// per resource (negative when a resource shrinks); empty when nothing is resized.
    public var resizeChange: [Resource: Double] {
        guard let currentPerReplica, currentReplicas > 0, currentPerReplica != perReplica else { return [:] }
        var change: [Resource: Double] = [:]
        let names = Set(perReplica.keys).union(currentPerReplica.keys)
        for name in names {
            guard let resource = Resource(rawValue: name) else { continue }
            let difference = (perReplica[name] ?? 0) - (currentPerReplica[name] ?? 0)
            if difference != 0 { change[resource] = Double(currentReplicas) * difference }
        }
        return change
    }

    /// Whether the change may cost more: more replicas, or bigger ones. Such a change locks its environment
    /// and is checked against the cost limits.
    public var mayCostMore: Bool {
        desiredReplicas > currentReplicas || resizeChange.values.contains { $0 > 0 }
    }

    /// The resources of one current replica before the change, as typed values.
    var currentPerReplicaResources: [Resource: Double] {
        var resources: [Resource: Double] = [:]
        for (name, value) in currentPerReplica ?? perReplica {
            if let resource = Resource(rawValue: name) { resources[resource] = value }
        }
        return resources
    }
}
