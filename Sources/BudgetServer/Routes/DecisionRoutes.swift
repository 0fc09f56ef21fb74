import BudgetCore
import BudgetStore
import Foundation
import Hummingbird
import Logging

/// The decision API: ask before scaling, read a decision back, replay it, release its reservation.
struct DecisionRoutes {
    let store: BudgetStore
    let settings: DecisionSettings
    let metrics: BudgetMetrics

    /// The answer: the stored result plus the decision's identity and what it reserved.
    struct Answer: Encodable {
        var decisionID: String
        var requestID: String
        var environment: String
        var service: String
        var currentReplicas: Int
        var desiredReplicas: Int
        var result: DecisionResult
        var repeated: Bool

        enum CodingKeys: String, CodingKey {
            case environment, service, repeated
            case decisionID = "decision_id"
            case requestID = "request_id"
            case currentReplicas = "current_replicas"
            case desiredReplicas = "desired_replicas"
        }

        init(_ decision: StoredDecision) {
            decisionID = decision.id.uuidString.lowercased()
            requestID = decision.request.requestID
            environment = decision.request.environment
            service = decision.request.service
            currentReplicas = decision.request.currentReplicas
            desiredReplicas = decision.request.desiredReplicas
            result = decision.result
            repeated = decision.repeated
        }

        func encode(to encoder: any Encoder) throws {
            try result.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(decisionID, forKey: .decisionID)
            try container.encode(requestID, forKey: .requestID)
            try container.encode(environment, forKey: .environment)
            try container.encode(service, forKey: .service)
            try container.encode(currentReplicas, forKey: .currentReplicas)
            try container.encode(desiredReplicas, forKey: .desiredReplicas)
            try container.encode(repeated, forKey: .repeated)
        }
    }

    struct Stored: Encodable {
        var decisionID: String
        var request: JSONText
        var snapshot: JSONText
        var result: JSONText

        enum CodingKeys: String, CodingKey {
            case request, snapshot, result
            case decisionID = "decision_id"
        }
    }

    struct Replay: Encodable {
        var decisionID: String
        var identical: Bool
        var stored: JSONText
        var replayed: JSONText

        enum CodingKeys: String, CodingKey {
            case identical, stored, replayed
            case decisionID = "decision_id"
        }
    }

    func register(on routes: RouteRegistry) {
        routes.add(.post, "/v1/tenants/{tenant}/decisions") { request, context in
            let tenant = try context.tenant()
            _ = try context.require(.decide, on: tenant)
            var body = try await JSONBody.decode(DecisionRequest.self, from: request)
            body.origin = nil  // recorded by the service's own doors (the Kubernetes webhook), never claimed by a caller
            if let problem = body.problem { throw APIError(.badRequest, problem) }
            let decision = try await store.decide(tenant: tenant, request: body, now: Timestamp.now(), settings: settings)
            Self.log(decision, tenant: tenant, logger: context.logger)
            if !decision.repeated {
                let request = decision.request
                let direction = request.desiredReplicas > request.currentReplicas ? "up" : (request.desiredReplicas < request.currentReplicas ? "down" : "none")
                metrics.recordDecision(
                    tenant: tenant, environment: request.environment, direction: direction, outcome: decision.result.outcome.rawValue,
                    reasonCodes: decision.result.reasons.map(\.code)
                )
                metrics.setReplicaCount(tenant: tenant, environment: request.environment, service: request.service, replicas: decision.result.allowedReplicas)
                metrics.recordDecisionTransaction(tenant: tenant, transaction: decision.transaction.rawValue)
            }
            return try JSONResponse(Answer(decision)).response
        }
        routes.add(.get, "/v1/tenants/{tenant}/decisions/{id}") { _, context in
            let tenant = try context.tenant()
            let principal = try context.caller()
            guard principal.allows(.read, on: tenant) || principal.allows(.decide, on: tenant) else {
                _ = try context.require(.read, on: tenant)
                throw APIError(.forbidden, code: "forbidden", message: "forbidden")
            }
            let decision = try await store.decision(tenant: tenant, id: try Self.id(context))
            return try JSONResponse(
                Stored(
                    decisionID: decision.id.uuidString.lowercased(), request: JSONText(text: decision.requestJSON),
                    snapshot: JSONText(text: decision.snapshotJSON), result: JSONText(text: decision.resultJSON)
                )
            ).response
        }
        routes.add(.post, "/v1/tenants/{tenant}/decisions/{id}/replay") { _, context in
            let tenant = try context.tenant()
            _ = try context.require(.read, on: tenant)
            let decision = try await store.decision(tenant: tenant, id: try Self.id(context))
            let replay = try decision.replay()
            return try JSONResponse(
                Replay(
                    decisionID: decision.id.uuidString.lowercased(), identical: replay.identical,
                    stored: JSONText(text: decision.resultJSON), replayed: JSONText(text: replay.resultJSON)
                )
            ).response
        }
        routes.add(.post, "/v1/tenants/{tenant}/decisions/{id}/release") { _, context in
            let tenant = try context.tenant()
            _ = try context.require(.decide, on: tenant)
            let decision = try await store.releaseReservation(tenant: tenant, decisionID: try Self.id(context), now: Timestamp.now())
            context.logger.info(
                "reservation released",
                metadata: ["decision_id": "\(decision.id.uuidString.lowercased())", "environment": "\(decision.request.environment)", "service": "\(decision.request.service)"]
            )
            return try JSONResponse(["decision_id": decision.id.uuidString.lowercased(), "released": "true"]).response
        }
    }

    static func id(_ context: BudgetRequestContext) throws -> UUID {
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else {
            throw APIError(.notFound, code: "decision_not_found", message: "no such decision", field: "id")
        }
        return id
    }

    /// One structured line per decision: its trigger signals and every bound it enforced.
    static func log(_ decision: StoredDecision, tenant: String, logger: Logger) {
        let result = decision.result
        logger.info(
            "scaling decision",
            metadata: [
                "tenant": "\(tenant)",
                "decision_id": "\(decision.id.uuidString.lowercased())",
                "environment": "\(decision.request.environment)",
                "service": "\(decision.request.service)",
                "current_replicas": "\(decision.request.currentReplicas)",
                "desired_replicas": "\(decision.request.desiredReplicas)",
                "outcome": "\(result.outcome.rawValue)",
                "allowed_replicas": "\(result.allowedReplicas)",
                "signals": .array(decision.request.signals.map { .string("\($0.name)=\(DecisionEngine.number($0.value))") }),
                "bounds": .array(result.reasons.map { .string("\($0.code):\($0.limitName) limit=\($0.limit) value=\($0.value) \($0.enforcement.rawValue)") }),
                "repeated": "\(decision.repeated)",
                "incremental_cost_per_hour": "\(result.incrementalCostPerHour?.decimalString ?? "unknown")",
            ]
        )
    }
}
