import BudgetCore
import BudgetStore
import Hummingbird
import Logging

/// The Kubernetes mutating admission webhook: `AdmissionReview` in, `AdmissionReview` out, through the same
/// store paths as `POST …/decisions` (idempotency by `request.uid`, reservations, snapshots, replay).
///
/// Two routes: the token as `Authorization: Bearer`, or (for API servers that cannot be given credentials) as
/// the last path segment — the authentication middleware takes it from there and no log line carries it.
struct AdmissionRoutes {
    let store: BudgetStore
    let settings: DecisionSettings
    let metrics: BudgetMetrics
    /// The API server sends whole objects; a review is refused above this (413).
    var maximumBodyBytes = 3 * 1024 * 1024

    static let path = "/v1/tenants/{tenant}/kubernetes/admission"
    static let tokenPath = "/v1/tenants/{tenant}/kubernetes/admission/{token}"

    func register(on routes: RouteRegistry) {
        routes.add(.post, Self.path) { request, context in try await review(request, context) }
        routes.add(.post, Self.tokenPath) { request, context in try await review(request, context) }
    }

    func review(_ request: Request, _ context: BudgetRequestContext) async throws -> Response {
        let tenant = try context.tenant()
        _ = try context.require(.decide, on: tenant)
        let review = try await JSONBody.decodeStorable(AdmissionReview.self, from: request, maximumBytes: maximumBodyBytes)
        guard review.apiVersion == nil || review.apiVersion == "admission.k8s.io/v1" else {
            throw APIError(.badRequest, code: "invalid_admission_review", message: "apiVersion must be admission.k8s.io/v1", field: "apiVersion")
        }
        guard let admission = review.request else {
            throw APIError(.badRequest, code: "missing_field", message: "request is required: send an admission.k8s.io/v1 AdmissionReview", field: "request")
        }
        guard ["CREATE", "UPDATE", "DELETE", "CONNECT"].contains(admission.operation) else {
            throw APIError(
                .badRequest, code: "invalid_admission_review", message: "request.operation must be CREATE, UPDATE, DELETE or CONNECT", field: "request.operation"
            )
        }
        let now = Timestamp.now()
        let translation: AdmissionTranslation
        do {
            translation = try await AdmissionTranslator(store: store).translate(admission, tenant: tenant, now: now)
        } catch let error as AdmissionInvalid {
            throw error.apiError
        }
        let response: AdmissionReviewAnswer.Response
        switch translation {
        case .answer(let allowed, let warning):
            var answer = AdmissionReviewAnswer.Response(uid: admission.uid, allowed: allowed)
            if let warning {
                if allowed { answer.warnings = [AdmissionAnswer.warning(warning)] } else { answer.status = .init(message: warning) }
            }
            context.logger.info("admission", metadata: ["tenant": "\(tenant)", "uid": "\(admission.uid)", "allowed": "\(allowed)", "note": "\(warning ?? "no change to decide")"])
            response = answer
        case .decide(let admissionCase):
            response = try await decide(admissionCase, uid: admission.uid, tenant: tenant, now: now, logger: context.logger)
        }
        return try JSONResponse(AdmissionReviewAnswer(response: response)).response
    }

    func decide(_ admission: AdmissionCase, uid: String, tenant: String, now: Timestamp, logger: Logger) async throws -> AdmissionReviewAnswer.Response {
        let request = admission.request
        if admission.dryRun {
            let (_, result) = try await store.evaluate(tenant: tenant, request: request, now: now)
            return AdmissionAnswer.response(uid: uid, request: request, result: result, decisionID: nil, hasReplicasField: admission.hasReplicasField)
        }
        let decision: StoredDecision
        do {
            decision = try await store.decide(tenant: tenant, request: request, now: now, settings: settings)
        } catch let error as StoreError where error.code == "request_id_reused" {
            // The API server re-sent this review, and what it derives from (remembered requests, usage) moved
            // on meanwhile: the uid answers the decision it got the first time.
            guard var existing = try await store.decision(tenant: tenant, requestID: request.requestID) else { throw error }
            existing.repeated = true
            decision = existing
        }
        DecisionRoutes.log(decision, tenant: tenant, logger: logger)
        if !decision.repeated {
            let stored = decision.request
            let direction = stored.desiredReplicas > stored.currentReplicas ? "up" : (stored.desiredReplicas < stored.currentReplicas ? "down" : "none")
            metrics.recordDecision(
                tenant: tenant, environment: stored.environment, direction: direction, outcome: decision.result.outcome.rawValue,
                reasonCodes: decision.result.reasons.map(\.code)
            )
            metrics.recordDecisionTransaction(tenant: tenant, transaction: decision.transaction.rawValue)
            if decision.result.outcome != .deny, admission.podTemplate != nil {
                var workload = admission.workload
                workload.decisionID = decision.id
                try await store.rememberWorkload(tenant: tenant, workload)
            }
        }
        return AdmissionAnswer.response(
            uid: uid, request: decision.request, result: decision.result, decisionID: decision.id.uuidString.lowercased(),
            hasReplicasField: admission.hasReplicasField
        )
    }
}
