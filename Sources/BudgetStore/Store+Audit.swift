import BudgetCore
import Foundation
import Logging
import PostgresNIO

/// One line of the append-only audit log.
public struct AuditEntry: Sendable, Codable, Equatable {
    public var id: Int64
    public var at: Timestamp
    public var tenant: String
    public var actorID: String
    public var actorName: String
    public var action: String
    public var targetKind: String
    public var target: String
    /// The object before and after the change, as JSON text (nil when it did not exist).
    public var before: String?
    public var after: String?
}

/// The filters of `GET /v1/audit`; all optional, newest first, paged by `beforeID`.
public struct AuditQuery: Sendable {
    public var tenant: String?
    public var actorID: String?
    public var action: String?
    public var targetKind: String?
    public var since: Timestamp?
    public var until: Timestamp?
    public var beforeID: Int64?
    public var limit: Int = 100

    public init() {}
}

/// What a change did, for the audit log (written in the same transaction as the change).
struct AuditRecord: Sendable {
    var tenant: String
    var actor: Principal
    var action: String
    var targetKind: String
    var target: String
    var before: String?
    var after: String?
}

extension BudgetStore {
    static func appendAudit(_ record: AuditRecord, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.perform(
            """
            INSERT INTO audit_log (tenant_id, actor_id, actor_name, action, target_kind, target, before, after)
            VALUES (\(record.tenant), \(record.actor.id), \(record.actor.name), \(record.action), \(record.targetKind),
                    \(record.target), \(record.before)::jsonb, \(record.after)::jsonb)
            """,
            logger: logger
        )
    }

    /// Reads the audit log, newest first.
    public func auditEntries(_ query: AuditQuery) async throws -> [AuditEntry] {
        let logger = self.logger
        return try await withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT id, at, tenant_id, actor_id, actor_name, action, target_kind, target, before::text, after::text
                FROM audit_log
                WHERE (\(query.tenant)::text IS NULL OR tenant_id = \(query.tenant))
                  AND (\(query.actorID)::text IS NULL OR actor_id = \(query.actorID))
                  AND (\(query.action)::text IS NULL OR action = \(query.action))
                  AND (\(query.targetKind)::text IS NULL OR target_kind = \(query.targetKind))
                  AND (\(query.since)::timestamptz IS NULL OR at >= \(query.since))
                  AND (\(query.until)::timestamptz IS NULL OR at < \(query.until))
                  AND (\(query.beforeID)::bigint IS NULL OR id < \(query.beforeID))
                ORDER BY id DESC
                LIMIT \(query.limit)
                """,
                logger: logger
            )
            var entries: [AuditEntry] = []
            for try await (id, at, tenant, actorID, actorName, action, kind, target, before, after) in rows.decode(
                (Int64, Timestamp, String, String, String, String, String, String, String?, String?).self
            ) {
                entries.append(
                    AuditEntry(
                        id: id, at: at, tenant: tenant, actorID: actorID, actorName: actorName, action: action,
                        targetKind: kind, target: target, before: before, after: after
                    )
                )
            }
            return entries
        }
    }
}
