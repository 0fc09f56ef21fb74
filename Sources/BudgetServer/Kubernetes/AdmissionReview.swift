import BudgetCore

/// `admission.k8s.io/v1` `AdmissionReview` as the API server sends it (only the fields the webhook reads;
/// the object itself is kept whole, as JSON, to be recorded with the decision).
struct AdmissionReview: Decodable, Sendable {
    var apiVersion: String?
    var kind: String?
    var request: AdmissionRequest?
}

struct AdmissionRequest: Decodable, Sendable {
    struct GroupVersionKind: Codable, Sendable, Hashable {
        var group: String
        var version: String
        var kind: String
    }

    struct GroupVersionResource: Codable, Sendable, Hashable {
        var group: String
        var version: String
        var resource: String
    }

    struct UserInfo: Codable, Sendable, Hashable {
        var username: String?
        var uid: String?
        var groups: [String]?
    }

    var uid: String
    var kind: GroupVersionKind
    var resource: GroupVersionResource
    var subResource: String?
    var name: String?
    var namespace: String?
    var operation: String
    var userInfo: UserInfo?
    var object: JSONValue?
    var oldObject: JSONValue?
    var dryRun: Bool?
}

/// The webhook's answer: an `AdmissionReview` with only `response` set.
struct AdmissionReviewAnswer: Encodable, Sendable {
    struct Status: Encodable, Sendable {
        var metadata: [String: String] = [:]
        var status = "Failure"
        var message: String
        var reason = "Forbidden"
        var code = 403
    }

    struct Response: Encodable, Sendable {
        var uid: String
        var allowed: Bool
        var status: Status?
        var patchType: String?
        /// The JSONPatch, base64.
        var patch: String?
        var warnings: [String]?
        /// Which stored decision this is (`decision_id`), or why there is none.
        var auditAnnotations: [String: String]?
    }

    var apiVersion = "admission.k8s.io/v1"
    var kind = "AdmissionReview"
    var response: Response
}
