import BudgetCore
import Foundation
import Logging
import PostgresNIO

/// An alert as stored.
public struct AlertRecord: Sendable, Equatable {
    public var id: UUID
    public var tenant: String
    public var dedupKey: String
    public var kind: AlertKind
    public var severity: Severity
    public var state: AlertState
    public var environment: String
    public var service: String?
    public var summary: String
    /// JSON object text.
    public var details: String
    public var occurrences: Int
    public var firedAt: Timestamp
    public var lastSeenAt: Timestamp
    public var resolvedAt: Timestamp?
    public var acknowledgedAt: Timestamp?
    public var acknowledgedBy: String?
}

/// The filters of `GET …/alerts`.
public struct AlertQuery: Sendable {
    public var tenant: String
    public var state: AlertState?
    public var kind: AlertKind?
    public var since: Timestamp?
    public var limit: Int = 200

    public init(tenant: String, state: AlertState? = nil, kind: AlertKind? = nil, since: Timestamp? = nil, limit: Int = 200) {
        self.tenant = tenant
        self.state = state
        self.kind = kind
        self.since = since
        self.limit = limit
    }
}

extension BudgetStore {
    static let alertColumns = """
        id, dedup_key, kind, severity, state, environment, service, summary, details::text, occurrences, fired_at, last_seen_at,
        resolved_at, acknowledged_at, acknowledged_by
        """

    typealias AlertColumns = (UUID, String, String, String, String, String, String?, String, String, Int, Timestamp, Timestamp, Timestamp?, Timestamp?, String?)

    static func decodeAlert(_ row: PostgresRow, tenant: String) throws -> AlertRecord {
        alert(try row.decode(AlertColumns.self), tenant: tenant)
    }

    static func alert(_ c: AlertColumns, tenant: String) -> AlertRecord {
        AlertRecord(
            id: c.0, tenant: tenant, dedupKey: c.1, kind: AlertKind(rawValue: c.2) ?? .anomaly, severity: Severity(rawValue: c.3) ?? .info,
            state: AlertState(rawValue: c.4) ?? .firing, environment: c.5, service: c.6, summary: c.7, details: c.8, occurrences: c.9,
            firedAt: c.10, lastSeenAt: c.11, resolvedAt: c.12, acknowledgedAt: c.13, acknowledgedBy: c.14
        )
    }

    /// Raises an alert, or counts it again when one with the same dedup key is open (no new notification:
    /// an autoscaler retrying every 15 s raises one alert). A new alert is queued for every matching route.
    @discardableResult
    static func raiseAlert(
        tenant: String, _ draft: AlertDraft, now: Timestamp, on connection: PostgresConnection, logger: Logger
    ) async throws -> (alert: AlertRecord, isNew: Bool) {
        let rows = try await connection.query(
            """
            WITH counted AS (
                UPDATE alerts SET occurrences = occurrences + 1, last_seen_at = \(now),
                       severity = CASE WHEN \(draft.severity.rawValue) = 'critical' OR severity = 'critical' THEN 'critical'
                                       WHEN \(draft.severity.rawValue) = 'warning' OR severity = 'warning' THEN 'warning' ELSE 'info' END
                WHERE tenant_id = \(tenant) AND dedup_key = \(draft.dedupKey) AND state <> 'resolved'
                RETURNING \(unescaped: alertColumns), false AS is_new
            ), inserted AS (
                INSERT INTO alerts (tenant_id, id, dedup_key, kind, severity, state, environment, service, summary, details, fired_at, last_seen_at)
                SELECT \(tenant), \(UUID()), \(draft.dedupKey), \(draft.kind.rawValue), \(draft.severity.rawValue), 'firing',
                       \(draft.environment), \(draft.service), \(draft.summary), \(draft.details)::jsonb, \(now), \(now)
                WHERE NOT EXISTS (SELECT 1 FROM counted)
                ON CONFLICT (tenant_id, dedup_key) WHERE state <> 'resolved' DO NOTHING
                RETURNING \(unescaped: alertColumns), true AS is_new
            )
            SELECT * FROM counted UNION ALL SELECT * FROM inserted
            """,
            logger: logger
        )
        var result: (AlertRecord, Bool)?
        for try await row in rows {
            let c = try row.decode((UUID, String, String, String, String, String, String?, String, String, Int, Timestamp, Timestamp, Timestamp?, Timestamp?, String?, Bool).self)
            result = (alert((c.0, c.1, c.2, c.3, c.4, c.5, c.6, c.7, c.8, c.9, c.10, c.11, c.12, c.13, c.14), tenant: tenant), c.15)
        }
        guard let result else {
            // A concurrent transaction opened the same alert a moment ago: count it there.
            throw RetryTransaction(reason: "an alert with the same dedup key was opened concurrently")
        }
        if result.1 {
            try await enqueue(alert: result.0, event: "firing", now: now, on: connection, logger: logger)
            logger.info("alert firing", metadata: ["tenant": "\(tenant)", "kind": "\(draft.kind.rawValue)", "dedup_key": "\(draft.dedupKey)"])
        }
        return (result.0, result.1)
    }

    /// Resolves the open alert with this dedup key, if any, and queues the resolution for its routes.
    @discardableResult
    static func resolveAlert(tenant: String, dedupKey: String, now: Timestamp, on connection: PostgresConnection, logger: Logger) async throws -> AlertRecord? {
        let rows = try await connection.query(
            """
            UPDATE alerts SET state = 'resolved', resolved_at = \(now)
            WHERE tenant_id = \(tenant) AND dedup_key = \(dedupKey) AND state <> 'resolved'
            RETURNING \(unescaped: alertColumns)
            """,
            logger: logger
        )
        var resolved: AlertRecord?
        for try await row in rows { resolved = try decodeAlert(row, tenant: tenant) }
        if let resolved { try await enqueue(alert: resolved, event: "resolved", now: now, on: connection, logger: logger) }
        return resolved
    }

    /// Queues one delivery per route that accepts the alert.
    static func enqueue(alert: AlertRecord, event: String, now: Timestamp, on connection: PostgresConnection, logger: Logger) async throws {
        let routes = try await loadConfigs(AlertRoute.self, tenant: alert.tenant, on: connection, logger: logger)
            .filter { $0.accepts(kind: alert.kind, severity: alert.severity, environment: alert.environment) }
        guard !routes.isEmpty else { return }
        let names = routes.map(\.name)
        let keys = routes.map { "\(alert.id.uuidString.lowercased()):\(event):\($0.name):\(now.microsecondsSinceEpoch)" }
        try await connection.perform(
            """
            INSERT INTO alert_outbox (tenant_id, alert_id, route_name, event, idempotency_key, created_at, next_attempt_at)
            SELECT \(alert.tenant), \(alert.id), r, \(event), k, \(now), \(now) FROM unnest(\(names)::text[], \(keys)::text[]) AS t(r, k)
            ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
            """,
            logger: logger
        )
        try await connection.perform(
            "UPDATE alerts SET last_notified_at = \(now) WHERE tenant_id = \(alert.tenant) AND id = \(alert.id)", logger: logger
        )
    }

    /// Raises (or counts) an alert in its own transaction.
    public func raiseAlert(tenant: String, _ draft: AlertDraft, now: Timestamp) async throws -> (alert: AlertRecord, isNew: Bool) {
        let logger = self.logger
        return try await transaction("raise-alert") { connection in
            try await Self.raiseAlert(tenant: tenant, draft, now: now, on: connection, logger: logger)
        }
    }

    /// Resolves an open alert by dedup key in its own transaction.
    @discardableResult
    public func resolveAlert(tenant: String, dedupKey: String, now: Timestamp) async throws -> AlertRecord? {
        let logger = self.logger
        return try await transaction("resolve-alert") { connection in
            try await Self.resolveAlert(tenant: tenant, dedupKey: dedupKey, now: now, on: connection, logger: logger)
        }
    }

    /// Acknowledges a firing alert (no more reminders); `notFound` when there is no open alert with this id.
    public func acknowledgeAlert(tenant: String, id: UUID, actor: Principal, now: Timestamp) async throws -> AlertRecord {
        let logger = self.logger
        return try await transaction("ack-alert") { connection in
            let rows = try await connection.query(
                """
                UPDATE alerts SET state = 'acknowledged', acknowledged_at = \(now), acknowledged_by = \(actor.id)
                WHERE tenant_id = \(tenant) AND id = \(id) AND state = 'firing'
                RETURNING \(unescaped: Self.alertColumns)
                """,
                logger: logger
            )
            var acknowledged: AlertRecord?
            for try await row in rows { acknowledged = try Self.decodeAlert(row, tenant: tenant) }
            guard let acknowledged else {
                throw StoreError(.notFound, code: "alert_not_firing", message: "no firing alert \(id.uuidString.lowercased()) for tenant \(tenant)")
            }
            try await Self.appendAudit(
                AuditRecord(tenant: tenant, actor: actor, action: "alert.acknowledge", targetKind: "alert", target: id.uuidString.lowercased(), before: nil, after: nil),
                on: connection, logger: logger
            )
            return acknowledged
        }
    }

    /// Alerts, newest first.
    public func alerts(_ query: AlertQuery) async throws -> [AlertRecord] {
        let logger = self.logger
        return try await withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.alertColumns) FROM alerts
                WHERE tenant_id = \(query.tenant)
                  AND (\(query.state?.rawValue)::text IS NULL OR state = \(query.state?.rawValue))
                  AND (\(query.kind?.rawValue)::text IS NULL OR kind = \(query.kind?.rawValue))
                  AND (\(query.since)::timestamptz IS NULL OR fired_at >= \(query.since) OR last_seen_at >= \(query.since))
                ORDER BY fired_at DESC LIMIT \(query.limit)
                """,
                logger: logger
            )
            var alerts: [AlertRecord] = []
            for try await row in rows { alerts.append(try Self.decodeAlert(row, tenant: query.tenant)) }
            return alerts
        }
    }
}
