import BudgetCore
import BudgetStore
import Foundation

/// The bodies sent to alert routes: Chartly's own JSON, or Alertmanager's `POST /api/v2/alerts`.
enum AlertPayloads {
    /// Chartly's webhook body.
    struct ChartlyBody: Encodable {
        struct Alert: Encodable {
            var id: String
            var tenant: String
            var kind: String
            var severity: String
            var state: String
            var environment: String
            var service: String?
            var summary: String
            var details: JSONText
            var occurrences: Int
            var firedAt: Timestamp
            var resolvedAt: Timestamp?
            var acknowledgedAt: Timestamp?

            enum CodingKeys: String, CodingKey {
                case id, tenant, kind, severity, state, environment, service, summary, details, occurrences
                case firedAt = "fired_at"
                case resolvedAt = "resolved_at"
                case acknowledgedAt = "acknowledged_at"
            }
        }

        var event: String
        var idempotencyKey: String
        var sentAt: Timestamp
        var alert: Alert

        enum CodingKeys: String, CodingKey {
            case event, alert
            case idempotencyKey = "idempotency_key"
            case sentAt = "sent_at"
        }
    }

    static func chartly(_ delivery: PendingDelivery, now: Timestamp) throws -> Data {
        let alert = delivery.alert
        let body = ChartlyBody(
            event: delivery.event, idempotencyKey: delivery.idempotencyKey, sentAt: now,
            alert: .init(
                id: alert.id.uuidString.lowercased(), tenant: alert.tenant, kind: alert.kind.rawValue, severity: alert.severity.rawValue,
                state: alert.state.rawValue, environment: alert.environment, service: alert.service, summary: alert.summary,
                details: JSONText(text: alert.details), occurrences: alert.occurrences, firedAt: alert.firedAt,
                resolvedAt: alert.resolvedAt, acknowledgedAt: alert.acknowledgedAt
            )
        )
        return try JSONEncoder.api.encode(body)
    }

    /// One element of Alertmanager's `postableAlerts`.
    struct AlertmanagerAlert: Encodable {
        var labels: [String: String]
        var annotations: [String: String]
        var startsAt: String
        var endsAt: String?
        var generatorURL: String?
    }

    static func alertmanager(_ delivery: PendingDelivery) throws -> Data {
        let alert = delivery.alert
        var labels = [
            "alertname": "Chartly" + alert.kind.rawValue.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(),
            "tenant": alert.tenant, "environment": alert.environment, "severity": alert.severity.rawValue,
            "kind": alert.kind.rawValue, "dedup_key": alert.dedupKey,
        ]
        if let service = alert.service { labels["service"] = service }
        // Resolved alerts carry their end; firing ones an end far enough ahead that reminders keep them active.
        let ends = alert.state == .resolved ? (alert.resolvedAt ?? alert.lastSeenAt) : nil
        let body = [
            AlertmanagerAlert(
                labels: labels,
                annotations: ["summary": alert.summary, "description": alert.details, "chartly_alert_id": alert.id.uuidString.lowercased()],
                startsAt: alert.firedAt.rfc3339, endsAt: ends?.rfc3339, generatorURL: nil
            )
        ]
        return try JSONEncoder.api.encode(body)
    }
}
