import Foundation

/// AdmissionReviews shaped as the API server sends them (admission.k8s.io/v1; field order and members as in
/// the Kubernetes documentation's example and `k8s.io/api/admission/v1`).
enum AdmissionFixtures {
    struct Container {
        var name = "app"
        var cpu: String? = "1"
        var memory: String? = "2Gi"
        var restartPolicy: String? = nil
    }

    static func container(_ container: Container) -> String {
        var requests: [String] = []
        if let cpu = container.cpu { requests.append(#""cpu":"\#(cpu)""#) }
        if let memory = container.memory { requests.append(#""memory":"\#(memory)""#) }
        let restart = container.restartPolicy.map { #","restartPolicy":"\#($0)""# } ?? ""
        return #"{"name":"\#(container.name)","image":"registry.example.com/\#(container.name):1.4.2","ports":[{"containerPort":8080,"protocol":"TCP"}],"resources":{"requests":{\#(requests.joined(separator: ","))}},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"\#(restart)}"#
    }

    /// An apps/v1 Deployment (or StatefulSet) as stored: metadata, spec with a pod template, status.
    static func workload(
        kind: String = "Deployment", name: String = "worker", namespace: String = "shop", replicas: Int?, containers: [Container] = [Container()],
        initContainers: [Container] = [], label: String? = nil
    ) -> String {
        let replicasField = replicas.map { #""replicas":\#($0),"# } ?? ""
        let initField = initContainers.isEmpty ? "" : #""initContainers":[\#(initContainers.map(container).joined(separator: ","))],"#
        let labelValue = label ?? name
        return #"""
            {"kind":"\#(kind)","apiVersion":"apps/v1","metadata":{"name":"\#(name)","namespace":"\#(namespace)","uid":"0f1c2a3b-6d4e-4f5a-9b8c-7d6e5f4a3b2c","resourceVersion":"81723","generation":4,"creationTimestamp":"2026-03-02T09:14:07Z","labels":{"app.kubernetes.io/name":"\#(labelValue)"},"annotations":{"deployment.kubernetes.io/revision":"3"}},"spec":{\#(replicasField)"selector":{"matchLabels":{"app.kubernetes.io/name":"\#(labelValue)"}},"template":{"metadata":{"creationTimestamp":null,"labels":{"app.kubernetes.io/name":"\#(labelValue)"}},"spec":{\#(initField)"containers":[\#(containers.map(container).joined(separator: ","))],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","schedulerName":"default-scheduler"}},"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"25%","maxSurge":"25%"}},"revisionHistoryLimit":10,"progressDeadlineSeconds":600},"status":{"observedGeneration":4,"replicas":\#(replicas ?? 1),"updatedReplicas":\#(replicas ?? 1),"readyReplicas":\#(replicas ?? 1),"availableReplicas":\#(replicas ?? 1)}}
            """#
    }

    /// An autoscaling/v1 Scale, as `kubectl scale` and the HPA write it.
    static func scale(name: String = "worker", namespace: String = "shop", replicas: Int, statusReplicas: Int) -> String {
        #"{"kind":"Scale","apiVersion":"autoscaling/v1","metadata":{"name":"\#(name)","namespace":"\#(namespace)","uid":"0f1c2a3b-6d4e-4f5a-9b8c-7d6e5f4a3b2c","resourceVersion":"81723","creationTimestamp":"2026-03-02T09:14:07Z"},"spec":{"replicas":\#(replicas)},"status":{"replicas":\#(statusReplicas),"selector":"app.kubernetes.io/name=\#(name)"}}"#
    }

    static func review(
        uid: String = UUID().uuidString.lowercased(), kind: String = "Deployment", resource: String = "deployments", subResource: String? = nil,
        name: String = "worker", namespace: String = "shop", operation: String = "UPDATE", object: String, oldObject: String?, dryRun: Bool = false
    ) -> String {
        let isScale = subResource == "scale"
        let gvk = isScale ? #"{"group":"autoscaling","version":"v1","kind":"Scale"}"# : #"{"group":"apps","version":"v1","kind":"\#(kind)"}"#
        let gvr = #"{"group":"apps","version":"v1","resource":"\#(resource)"}"#
        let sub = subResource.map { #""subResource":"\#($0)","requestSubResource":"\#($0)","# } ?? ""
        let options = operation == "CREATE" ? #"{"kind":"CreateOptions","apiVersion":"meta.k8s.io/v1","fieldManager":"kubectl-client-side-apply"}"# : #"{"kind":"UpdateOptions","apiVersion":"meta.k8s.io/v1","fieldManager":"kubectl"}"#
        return #"""
            {"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"\#(uid)","kind":\#(gvk),"resource":\#(gvr),\#(sub)"requestKind":\#(gvk),"requestResource":\#(gvr),"name":"\#(name)","namespace":"\#(namespace)","operation":"\#(operation)","userInfo":{"username":"alice@example.com","uid":"4f2e6c1a-3b5d-4e7f-8a9b-0c1d2e3f4a5b","groups":["ops","system:authenticated"]},"object":\#(object),"oldObject":\#(oldObject ?? "null"),"dryRun":\#(dryRun),"options":\#(options)}}
            """#
    }

    /// `kubectl scale deploy/worker --replicas N` from `from` replicas.
    static func scaleReview(
        uid: String = UUID().uuidString.lowercased(), resource: String = "deployments", name: String = "worker", namespace: String = "shop", from: Int, to: Int,
        dryRun: Bool = false
    ) -> String {
        review(
            uid: uid, resource: resource, subResource: "scale", name: name, namespace: namespace, operation: "UPDATE",
            object: scale(name: name, namespace: namespace, replicas: to, statusReplicas: from),
            oldObject: scale(name: name, namespace: namespace, replicas: from, statusReplicas: from), dryRun: dryRun
        )
    }

    static func updateReview(
        uid: String = UUID().uuidString.lowercased(), name: String = "worker", from: Int, to: Int, containers: [Container] = [Container()],
        oldContainers: [Container] = [Container()], dryRun: Bool = false
    ) -> String {
        review(
            uid: uid, name: name, operation: "UPDATE", object: workload(name: name, replicas: to, containers: containers),
            oldObject: workload(name: name, replicas: from, containers: oldContainers), dryRun: dryRun
        )
    }

    static func createReview(uid: String = UUID().uuidString.lowercased(), name: String = "worker", namespace: String = "shop", replicas: Int?, label: String? = nil) -> String {
        review(uid: uid, name: name, namespace: namespace, operation: "CREATE", object: workload(name: name, namespace: namespace, replicas: replicas, label: label), oldObject: nil)
    }
}

/// The webhook's answer as the API server reads it.
struct ReviewAnswer: Decodable {
    struct Response: Decodable {
        struct Status: Decodable {
            var code: Int
            var message: String
            var reason: String?
        }
        var uid: String
        var allowed: Bool
        var status: Status?
        var patchType: String?
        var patch: String?
        var warnings: [String]?
        var auditAnnotations: [String: String]?
    }
    var apiVersion: String
    var kind: String
    var response: Response

    /// The JSONPatch, decoded from base64.
    var patchOperations: [[String: AnyHashableJSON]]? {
        guard let patch = response.patch, let data = Data(base64Encoded: patch) else { return nil }
        return try? JSONDecoder().decode([[String: AnyHashableJSON]].self, from: data)
    }

    var decisionID: String? { response.auditAnnotations?["decision_id"] }
}

enum AnyHashableJSON: Decodable, Hashable {
    case string(String)
    case int(Int)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) { self = .int(value) } else { self = .string(try container.decode(String.self)) }
    }
}
