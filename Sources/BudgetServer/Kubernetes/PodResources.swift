import BudgetCore

/// What one replica of a pod template requests, as Kubernetes counts it for scheduling: the regular containers'
/// requests summed, with sidecars (init containers with `restartPolicy: Always`) added, and the pod's request
/// for each resource never below what the largest init container needs while it runs (the sidecars started
/// before it run beside it). Plus the pod's `overhead`.
struct PodResources: Sendable, Hashable {
    var cpuCores: Quantity = .zero
    var memoryGiB: Quantity = .zero

    struct Invalid: Error, Sendable {
        var field: String
        var message: String
    }

    /// The resources of the pod template at `spec.template` of a Deployment or StatefulSet object.
    init(workload object: JSONValue) throws(Invalid) {
        guard let podSpec = object["spec"]?["template"]?["spec"] else {
            throw Invalid(field: "request.object.spec.template.spec", message: "the workload has no pod template")
        }
        try self.init(podSpec: podSpec, field: "request.object.spec.template.spec")
    }

    init(cpuCores: Quantity, memoryGiB: Quantity) {
        self.cpuCores = cpuCores
        self.memoryGiB = memoryGiB
    }

    init(podSpec: JSONValue, field: String) throws(Invalid) {
        let containers = podSpec["containers"]?.arrayValue ?? []
        let initContainers = podSpec["initContainers"]?.arrayValue ?? []
        var regular = (cpu: Quantity.zero, memory: Quantity.zero)
        for (index, container) in containers.enumerated() {
            let requests = try Self.requests(of: container, field: "\(field).containers[\(index)]")
            regular = (try Self.sum(regular.cpu, requests.cpu, field), try Self.sum(regular.memory, requests.memory, field))
        }
        // Init containers in order: a sidecar keeps running (it adds to everything after it); a plain init
        // container runs alone beside the sidecars started before it.
        var sidecars = (cpu: Quantity.zero, memory: Quantity.zero)
        var initPeak = (cpu: Quantity.zero, memory: Quantity.zero)
        for (index, container) in initContainers.enumerated() {
            let requests = try Self.requests(of: container, field: "\(field).initContainers[\(index)]")
            let running = (try Self.sum(sidecars.cpu, requests.cpu, field), try Self.sum(sidecars.memory, requests.memory, field))
            initPeak = (max(initPeak.cpu, running.0), max(initPeak.memory, running.1))
            if container["restartPolicy"]?.stringValue == "Always" { sidecars = running }
        }
        let steady = (try Self.sum(regular.cpu, sidecars.cpu, field), try Self.sum(regular.memory, sidecars.memory, field))
        var cpu = max(steady.0, initPeak.cpu)
        var memory = max(steady.1, initPeak.memory)
        if let overhead = podSpec["overhead"] {
            let extra = try Self.quantities(overhead, field: "\(field).overhead")
            cpu = try Self.sum(cpu, extra.cpu, field)
            memory = try Self.sum(memory, extra.memory, field)
        }
        cpuCores = cpu
        memoryGiB = memory
    }

    /// A container's `resources.requests` (cpu and memory; other resources are not priced per replica).
    static func requests(of container: JSONValue, field: String) throws(Invalid) -> (cpu: Quantity, memory: Quantity) {
        guard let requests = container["resources"]?["requests"] else { return (.zero, .zero) }
        return try quantities(requests, field: "\(field).resources.requests")
    }

    static func quantities(_ list: JSONValue, field: String) throws(Invalid) -> (cpu: Quantity, memory: Quantity) {
        func read(_ name: String, unitBinaryExponent: Int) throws(Invalid) -> Quantity {
            guard let value = list[name] else { return .zero }
            // The API server sends quantities as strings; a number is accepted as its text.
            let text: String
            if let string = value.stringValue {
                text = string
            } else if let number = value.numberValue {
                text = DecisionEngine.number(number)
            } else {
                throw Invalid(field: "\(field).\(name)", message: "\(field).\(name) must be a quantity such as 500m or 4Gi")
            }
            do {
                guard let quantity = try KubernetesQuantity(parsing: text).quantity(unitBinaryExponent: unitBinaryExponent) else {
                    throw Invalid(field: "\(field).\(name)", message: "\(field).\(name) '\(text)' is above the largest quantity accepted")
                }
                return quantity
            } catch let error as KubernetesQuantity.Invalid {
                throw Invalid(field: "\(field).\(name)", message: "\(field).\(name): \(error.message)")
            } catch let error as Invalid {
                throw error
            } catch {
                throw Invalid(field: "\(field).\(name)", message: "\(field).\(name): \(error)")
            }
        }
        return (try read("cpu", unitBinaryExponent: 0), try read("memory", unitBinaryExponent: 30))
    }

    static func sum(_ a: Quantity, _ b: Quantity, _ field: String) throws(Invalid) -> Quantity {
        guard let total = Quantity(nanos: a.nanos + b.nanos) else { throw Invalid(field: field, message: "\(field): the requests add up to too much") }
        return total
    }

    /// As the decision request's `per_replica`: each quantity through its exact decimal text (nine places at
    /// most, so the `Double` reads back to the same quantity in the engine).
    var perReplica: [String: Double] {
        var resources: [String: Double] = [:]
        if cpuCores > .zero { resources[Resource.cpuCores.rawValue] = Double(cpuCores.description) }
        if memoryGiB > .zero { resources[Resource.memoryGiB.rawValue] = Double(memoryGiB.description) }
        return resources
    }
}
