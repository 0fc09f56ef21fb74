import BudgetCore
import Foundation

/// A decision in Kubernetes' words: allow → allowed; clamp → allowed with a JSONPatch of `/spec/replicas` and a
/// warning naming the limit; deny → not allowed, 403, a message in the style of quota errors; limits in `warn`
/// (or `dryrun`) enforcement → warnings on an allowed change.
enum AdmissionAnswer {
    /// Kubernetes truncates longer warnings.
    static let maximumWarningLength = 256

    static func response(uid: String, request: DecisionRequest, result: DecisionResult, decisionID: String?, hasReplicasField: Bool) -> AdmissionReviewAnswer.Response {
        let summary = "\(request.service) in \(request.environment) \(request.currentReplicas) → \(result.allowedReplicas) (asked \(request.desiredReplicas))"
        let enforced = result.reasons.filter { $0.enforcement == .deny }.map(\.message)
        let reported = result.reasons.filter { $0.enforcement != .deny }
        var warnings: [String] = reported.map { warning("chartly-budget: \($0.enforcement.rawValue): \($0.message)") }
        var annotations = ["outcome": result.outcome.rawValue]
        annotations["decision_id"] = decisionID ?? "none (dry run)"
        var response = AdmissionReviewAnswer.Response(uid: uid, allowed: true)
        switch result.outcome {
        case .allow:
            break
        case .clamp:
            let operation = hasReplicasField ? "replace" : "add"
            let patch = #"[{"op":"\#(operation)","path":"/spec/replicas","value":\#(result.allowedReplicas)}]"#
            response.patchType = "JSONPatch"
            response.patch = Data(patch.utf8).base64EncodedString()
            warnings.insert(warning("chartly-budget: clamp: \(summary): \(enforced.joined(separator: "; "))"), at: 0)
        case .deny:
            response.allowed = false
            response.status = .init(message: "chartly-budget: deny: \(summary): \(enforced.joined(separator: "; "))")
        }
        response.warnings = warnings.isEmpty ? nil : warnings
        response.auditAnnotations = annotations
        return response
    }

    static func warning(_ text: String) -> String {
        guard text.count > maximumWarningLength else { return text }
        return String(text.prefix(maximumWarningLength - 1)) + "…"
    }
}
