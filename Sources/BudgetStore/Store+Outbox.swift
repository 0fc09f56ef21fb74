import BudgetCore
import Foundation
import Logging
import PostgresNIO

/// One delivery due: the alert (as it is now), the event, and where it goes.
public struct PendingDelivery: Sendable {
    public var id: Int64
    public var tenant: String
    public var alert: AlertRecord
    public var event: String
    public var idempotencyKey: String
    public var attempts: Int
    public var createdAt: Timestamp
    /// Nil when the route was deleted after the delivery was queued.
    public var route: AlertRoute?
}

/// What happened to one delivery attempt.
public enum DeliveryOutcome: Sendable, Equatable {
    case delivered
    /// Try again at that time.
    case retry(error: String, at: Timestamp)
    /// Given up: kept as dead-lettered, visible through the API.
    case dead(error: String)
}

/// A delivery as listed by the API.
public struct DeliveryRecord: Sendable, Equatable {
    public var id: Int64
    public var alertID: UUID
    public var routeName: String
    public var event: String
    public var attempts: Int
    public var createdAt: Timestamp
    public var nextAttemptAt: Timestamp
    public var deliveredAt: Timestamp?
    public var deadAt: Timestamp?
    public var lastError: String?
}

extension BudgetStore {
    /// Claims up to `limit` due deliveries (`FOR UPDATE SKIP LOCKED`, so replicas share the work and never send
    /// the same one twice at once), lets `send` attempt them, and records each outcome. Returns how many were
    /// attempted.
    ///
    /// Deliveries are claimed a tenant at a time, each tenant's in a transaction of its own: a row lock is taken
    /// by a statement on one tenant's rows, which on Citus is a statement on one shard (Citus refuses
    /// `FOR UPDATE` across shards). The tenants with due work are found first, without locks, oldest first.
    @discardableResult
    public func deliverDue(
        now: Timestamp, limit: Int = 20, _ send: @escaping @Sendable ([PendingDelivery]) async -> [Int64: DeliveryOutcome]
    ) async throws -> Int {
        let logger = self.logger
        let tenants: [String] = try await withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT tenant_id FROM alert_outbox
                WHERE delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at <= \(now)
                GROUP BY tenant_id ORDER BY min(next_attempt_at), tenant_id
                LIMIT \(limit)
                """,
                logger: logger
            )
            var tenants: [String] = []
            for try await tenant in rows.decode(String.self) { tenants.append(tenant) }
            return tenants
        }
        var attempted = 0
        for tenant in tenants where attempted < limit {
            attempted += try await deliverDue(tenant: tenant, now: now, limit: limit - attempted, send)
        }
        return attempted
    }

    /// One tenant's share of `deliverDue`, in one transaction.
    private func deliverDue(
        tenant: String, now: Timestamp, limit: Int, _ send: @escaping @Sendable ([PendingDelivery]) async -> [Int64: DeliveryOutcome]
    ) async throws -> Int {
        let logger = self.logger
        return try await transaction("deliver-alerts", attempts: 1) { connection in
            let rows = try await connection.query(
                """
                SELECT o.tenant_id, o.id, o.event, o.idempotency_key, o.attempts, o.created_at, r.spec::text,
                       \(unescaped: Self.alertColumns.split(separator: ",").map { "a." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }.joined(separator: ", "))
                FROM alert_outbox o
                JOIN alerts a ON a.tenant_id = o.tenant_id AND a.id = o.alert_id
                LEFT JOIN alert_routes r ON r.tenant_id = o.tenant_id AND r.name = o.route_name
                WHERE o.tenant_id = \(tenant) AND o.delivered_at IS NULL AND o.dead_at IS NULL AND o.next_attempt_at <= \(now)
                ORDER BY o.next_attempt_at, o.id
                LIMIT \(limit)
                FOR UPDATE OF o SKIP LOCKED
                """,
                logger: logger
            )
            var due: [PendingDelivery] = []
            for try await row in rows {
                let head = try row.decode(
                    (String, Int64, String, String, Int, Timestamp, String?, UUID, String, String, String, String, String, String?, String, String, Int,
                     Timestamp, Timestamp, Timestamp?, Timestamp?, String?).self
                )
                let alert = Self.alert(
                    (head.7, head.8, head.9, head.10, head.11, head.12, head.13, head.14, head.15, head.16, head.17, head.18, head.19, head.20, head.21),
                    tenant: head.0
                )
                due.append(
                    PendingDelivery(
                        id: head.1, tenant: head.0, alert: alert, event: head.2, idempotencyKey: head.3, attempts: head.4, createdAt: head.5,
                        route: try head.6.map { try ConfigJSON.decode(AlertRoute.self, from: $0) }
                    )
                )
            }
            guard !due.isEmpty else { return 0 }
            let outcomes = await send(due)
            for delivery in due {
                switch outcomes[delivery.id] ?? .retry(error: "not attempted", at: now + .seconds(5)) {
                case .delivered:
                    try await connection.perform(
                        "UPDATE alert_outbox SET delivered_at = \(now), attempts = attempts + 1, last_error = NULL WHERE tenant_id = \(delivery.tenant) AND id = \(delivery.id)",
                        logger: logger
                    )
                case .retry(let error, let at):
                    try await connection.perform(
                        "UPDATE alert_outbox SET attempts = attempts + 1, last_error = \(String(error.prefix(500))), next_attempt_at = \(at) WHERE tenant_id = \(delivery.tenant) AND id = \(delivery.id)",
                        logger: logger
                    )
                case .dead(let error):
                    try await connection.perform(
                        "UPDATE alert_outbox SET attempts = attempts + 1, last_error = \(String(error.prefix(500))), dead_at = \(now) WHERE tenant_id = \(delivery.tenant) AND id = \(delivery.id)",
                        logger: logger
                    )
                    logger.warning("alert delivery dead-lettered", metadata: ["tenant": "\(delivery.tenant)", "delivery": "\(delivery.id)", "error": "\(error)"])
                }
            }
            return due.count
        }
    }

    /// Deliveries of a tenant: `pending`, `delivered` or `dead` (dead-lettered), newest first.
    public func deliveries(tenant: String, state: String?, limit: Int = 200) async throws -> [DeliveryRecord] {
        let logger = self.logger
        return try await withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT id, alert_id, route_name, event, attempts, created_at, next_attempt_at, delivered_at, dead_at, last_error
                FROM alert_outbox
                WHERE tenant_id = \(tenant)
                  AND (\(state)::text IS NULL
                       OR (\(state) = 'pending' AND delivered_at IS NULL AND dead_at IS NULL)
                       OR (\(state) = 'delivered' AND delivered_at IS NOT NULL)
                       OR (\(state) = 'dead' AND dead_at IS NOT NULL))
                ORDER BY id DESC LIMIT \(limit)
                """,
                logger: logger
            )
            var records: [DeliveryRecord] = []
            for try await (id, alertID, route, event, attempts, created, next, delivered, dead, error) in rows.decode(
                (Int64, UUID, String, String, Int, Timestamp, Timestamp, Timestamp?, Timestamp?, String?).self
            ) {
                records.append(
                    DeliveryRecord(
                        id: id, alertID: alertID, routeName: route, event: event, attempts: attempts, createdAt: created, nextAttemptAt: next,
                        deliveredAt: delivered, deadAt: dead, lastError: error
                    )
                )
            }
            return records
        }
    }

    /// Undelivered work: how many deliveries wait, and the age of the oldest (for `queue_depth` and `backlog_duration_seconds`).
    public func outboxBacklog(now: Timestamp) async throws -> (pending: Int, oldest: TimeSpan) {
        let logger = self.logger
        return try await withConnection { connection in
            let rows = try await connection.query(
                "SELECT count(*), min(created_at) FROM alert_outbox WHERE delivered_at IS NULL AND dead_at IS NULL", logger: logger
            )
            for try await (count, oldest) in rows.decode((Int, Timestamp?).self) {
                return (count, oldest.map { now - $0 } ?? .zero)
            }
            return (0, .zero)
        }
    }
}
