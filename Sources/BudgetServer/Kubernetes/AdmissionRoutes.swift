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
        let translator = AdmissionTranslator(store: store)
        // The bindings kept from the last review, unless they changed: a decision checks that the tenant's
        // configuration generation is still the one they were read at (in its snapshot statement, no query of
        // its own), and a review is translated again from bindings read anew when it is not. An answer without a
        // decision is only given from bindings read now. The last attempt expects nothing, as a review did when it
        // read its bindings in a transaction of their own.
        var bindings = try await store.kubernetesBindings(tenant: tenant)
        var response: AdmissionReviewAnswer.Response?
        for attempt in 1...3 {
            let translation: AdmissionTranslation
            do {
                translation = try await translator.translate(admission, tenant: tenant, bindings: bindings.bindings, now: now)
            } catch let error as AdmissionInvalid {
                if !bindings.fresh {
                    bindings = try await store.kubernetesBindings(tenant: tenant, fresh: true)
                    continue
                }
                throw error.apiError
            }
            switch translation {
            case .answer(let allowed, let warning):
                if !bindings.fresh {
                    bindings = try await store.kubernetesBindings(tenant: tenant, fresh: true)
                    continue
                }
                var answer = AdmissionReviewAnswer.Response(uid: admission.uid, allowed: allowed)
                if let warning {
                    if allowed { answer.warnings = [AdmissionAnswer.warning(warning)] } else { answer.status = .init(message: warning) }
                }
                context.logger.info("admission", metadata: ["tenant": "\(tenant)", "uid": "\(admission.uid)", "allowed": "\(allowed)", "note": "\(warning ?? "no change to decide")"])
                response = answer
            case .decide(let admissionCase):
                do {
                    response = try await decide(
                        admissionCase, uid: admission.uid, tenant: tenant, now: now, expecting: attempt < 3 ? bindings.version : nil,
                        logger: context.logger
                    )
                } catch is ConfigurationChanged {
                    bindings = try await store.kubernetesBindings(tenant: tenant, fresh: true)
                    continue
                }
            }
            break
        }
        guard let response else {
            // Only after an invalid review or an answer from kept bindings on the last attempt, which reads anew first.
            throw APIError(.internalServerError, code: "internal_error", message: "the review could not be translated")
        }
        return try JSONResponse(AdmissionReviewAnswer(response: response)).response
    }

    /// Throws `ConfigurationChanged` when the tenant's configuration generation is not `expecting`.
    func decide(
        _ admission: AdmissionCase, uid: String, tenant: String, now: Timestamp, expecting: ConfigurationVersion?, logger: Logger
    ) async throws -> AdmissionReviewAnswer.Response {
        let request = admission.request
        if admission.dryRun {
            let (_, result) = try await store.evaluate(tenant: tenant, request: request, now: now, expecting: expecting)
            return AdmissionAnswer.response(uid: uid, request: request, result: result, decisionID: nil, hasReplicasField: admission.hasReplicasField)
        }
        let decision: StoredDecision
        do {
            // A workload admitted with its pod template is remembered in the decision's own statement (not when
            // denied, nor for a repeated uid: the decision is not written again).
            var workload: KubernetesWorkload?
            if admission.podTemplate != nil { workload = admission.workload }
            decision = try await store.decide(
                tenant: tenant, request: request, now: now, settings: settings, expecting: expecting, remembering: workload
            )
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
        }
        return AdmissionAnswer.response(
            uid: uid, request: decision.request, result: decision.result, decisionID: decision.id.uuidString.lowercased(),
            hasReplicasField: admission.hasReplicasField
        )
    }
}
