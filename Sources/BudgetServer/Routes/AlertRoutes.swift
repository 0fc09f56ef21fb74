import BudgetCore
import BudgetStore
import Foundation
import Hummingbird

/// `GET …/alerts`, `POST …/alerts/{id}/ack`, `GET …/alert-deliveries`.
struct AlertRoutes {
    let store: BudgetStore

    struct AlertView: Encodable {
        var id: String
        var kind: String
        var severity: String
        var state: String
        var environment: String
        var service: String?
        var summary: String
        var details: JSONText
        var occurrences: Int
        var firedAt: Timestamp
        var lastSeenAt: Timestamp
        var resolvedAt: Timestamp?
        var acknowledgedAt: Timestamp?
        var acknowledgedBy: String?
        var dedupKey: String

        enum CodingKeys: String, CodingKey {
            case id, kind, severity, state, environment, service, summary, details, occurrences
            case firedAt = "fired_at"
            case lastSeenAt = "last_seen_at"
            case resolvedAt = "resolved_at"
            case acknowledgedAt = "acknowledged_at"
            case acknowledgedBy = "acknowledged_by"
            case dedupKey = "dedup_key"
        }

        init(_ alert: AlertRecord) {
            id = alert.id.uuidString.lowercased()
            kind = alert.kind.rawValue
            severity = alert.severity.rawValue
            state = alert.state.rawValue
            environment = alert.environment
            service = alert.service
            summary = alert.summary
            details = JSONText(text: alert.details)
            occurrences = alert.occurrences
            firedAt = alert.firedAt
            lastSeenAt = alert.lastSeenAt
            resolvedAt = alert.resolvedAt
            acknowledgedAt = alert.acknowledgedAt
            acknowledgedBy = alert.acknowledgedBy
            dedupKey = alert.dedupKey
        }
    }

    struct DeliveryView: Encodable {
        var id: String
        var alertID: String
        var route: String
        var event: String
        var attempts: Int
        var createdAt: Timestamp
        var nextAttemptAt: Timestamp
        var deliveredAt: Timestamp?
        var deadAt: Timestamp?
        var lastError: String?

        enum CodingKeys: String, CodingKey {
            case id, route, event, attempts
            case alertID = "alert_id"
            case createdAt = "created_at"
            case nextAttemptAt = "next_attempt_at"
            case deliveredAt = "delivered_at"
            case deadAt = "dead_at"
            case lastError = "last_error"
        }
    }

    func register(on routes: RouteRegistry) {
        routes.add(.get, "/v1/tenants/{tenant}/alerts") { request, context in
            let tenant = try context.tenant()
            _ = try context.require(.read, on: tenant)
            let parameters = request.uri.queryParameters
            var state: AlertState?
            if let text = parameters.get("state") {
                guard let value = AlertState(rawValue: text) else {
                    throw APIError(.badRequest, code: "invalid_value", message: "state must be firing, acknowledged or resolved", field: "state")
                }
                state = value
            }
            var kind: AlertKind?
            if let text = parameters.get("kind") {
                guard let value = AlertKind(rawValue: text) else {
                    throw APIError(
                        .badRequest, code: "invalid_value",
                        message: "kind must be one of \(AlertKind.allCases.map(\.rawValue).joined(separator: ", "))", field: "kind"
                    )
                }
                kind = value
            }
            let since = try QueryParameters.timestamp(parameters, "since")
            let limit = Int(try QueryParameters.integer(parameters, "limit", range: 1...1000) ?? 200)
            let alerts = try await store.alerts(AlertQuery(tenant: tenant, state: state, kind: kind, since: since, limit: limit))
            struct Listed: Encodable { var alerts: [AlertView] }
            return try JSONResponse(Listed(alerts: alerts.map(AlertView.init))).response
        }
        routes.add(.post, "/v1/tenants/{tenant}/alerts/{id}/ack") { _, context in
            let tenant = try context.tenant()
            let actor = try context.require(.manage, on: tenant)
            guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else {
                throw APIError(.notFound, code: "alert_not_found", message: "no such alert", field: "id")
            }
            let alert = try await store.acknowledgeAlert(tenant: tenant, id: id, actor: actor, now: Timestamp.now())
            return try JSONResponse(AlertView(alert)).response
        }
        routes.add(.get, "/v1/tenants/{tenant}/alert-deliveries") { request, context in
            let tenant = try context.tenant()
            _ = try context.require(.read, on: tenant)
            let state = request.uri.queryParameters.get("state")
            guard state == nil || ["pending", "delivered", "dead"].contains(state!) else {
                throw APIError(.badRequest, code: "invalid_value", message: "state must be pending, delivered or dead", field: "state")
            }
            let deliveries = try await store.deliveries(tenant: tenant, state: state)
            struct Listed: Encodable { var deliveries: [DeliveryView] }
            return try JSONResponse(
                Listed(deliveries: deliveries.map {
                    DeliveryView(
                        id: String($0.id), alertID: $0.alertID.uuidString.lowercased(), route: $0.routeName, event: $0.event, attempts: $0.attempts,
                        createdAt: $0.createdAt, nextAttemptAt: $0.nextAttemptAt, deliveredAt: $0.deliveredAt, deadAt: $0.deadAt, lastError: $0.lastError
                    )
                })
            ).response
        }
    }
}
