import BudgetCore
import Foundation
import Logging
import PostgresNIO

/// How decisions hold headroom.
public struct DecisionSettings: Sendable {
    /// An approved increment not confirmed (by a later request reporting the new count, or by usage reaching the
    /// target: migration 012) lapses after this long; a confirmed one is held until the run rate includes it.
    public var reservationTTL: TimeSpan = .minutes(15)

    public init(reservationTTL: TimeSpan = .minutes(15)) {
        self.reservationTTL = reservationTTL
    }
}

/// A decision as stored: its input, snapshot and answer, each as the exact JSON bytes kept.
public struct StoredDecision: Sendable {
    public var id: UUID
    public var tenant: String
    public var request: DecisionRequest
    public var snapshot: DecisionSnapshot
    public var result: DecisionResult
    public var requestJSON: String
    public var snapshotJSON: String
    public var resultJSON: String
    /// True when this answer was returned for a repeated `request_id` (nothing new was reserved).
    public var repeated: Bool
    /// The transaction the decision was written in (see `DecisionBatcher`).
    public var transaction: DecisionTransaction = .own
}

/// The transaction a decision was written in.
public enum DecisionTransaction: String, Sendable {
    /// Its own.
    case own
    /// One shared with other decisions of the tenant that arrived meanwhile.
    case shared
    /// Its own, after the shared one it was in failed (a reused `request_id`, a lock timeout, a deadlock).
    case ownAfterSharedFailed = "own_after_shared_failed"
}

extension BudgetStore {
    /// Evaluates a scaling request and records it, in one transaction.
    ///
    /// A scale-up locks the environment's state row, so concurrent scale-ups (from any replica of the
    /// service) are serialised and never spend the same headroom; its approved increment is reserved.
    ///
    /// - Parameter expecting: the configuration version the caller derived the request from (the webhook's
    ///   bindings): when the tenant's generation is another, nothing is recorded and it throws
    ///   `ConfigurationChanged`.
    /// - Parameter workload: a Kubernetes workload admitted with its pod template, remembered (with this
    ///   decision's id) in the same statement as the decision unless it is denied.
    public func decide(
        tenant: String, request: DecisionRequest, now: Timestamp, settings: DecisionSettings = .init(), expecting: ConfigurationVersion? = nil,
        remembering workload: KubernetesWorkload? = nil
    ) async throws -> StoredDecision {
        let requestJSON = try ConfigJSON.encode(request)
        let logger = self.logger
        let configs = decisionConfigs
        let engineCache = self.engineCache
        do {
            let scaleUp = request.mayCostMore
            return try await decisions.submit(
                tenant: tenant, environment: request.environment, service: request.service, scaleUp: scaleUp, store: self
            ) { connection, lockTimeout in
                let runRateHour = Forecast.latestCompleteHour(at: now)
                let citus = try await engineCache.engine(on: connection, logger: logger).isCitus
                let snapshot = try await Self.snapshot(
                    tenant: tenant, request: request, now: now, runRateHour: runRateHour, lockTimeout: lockTimeout, configs: configs,
                    citus: citus, expecting: expecting, on: connection, logger: logger
                )
                let result = DecisionEngine.evaluate(request, snapshot)
                let decision = StoredDecision(
                    id: UUID(), tenant: tenant, request: request, snapshot: snapshot, result: result, requestJSON: requestJSON,
                    snapshotJSON: try ConfigJSON.encode(snapshot), resultJSON: try ConfigJSON.encode(result), repeated: false
                )
                var remembered = workload
                remembered?.decisionID = decision.id
                do {
                    try await Self.record(
                        decision, settings: settings, citus: citus, remembering: result.outcome == .deny ? nil : remembered, on: connection,
                        logger: logger
                    )
                } catch let error as PSQLError where error.sqlState == "23505" {
                    throw RequestIDTaken()
                }
                // A veto (or a warn-mode breach) raises an alert in the same transaction; repeats count into it.
                for draft in Self.capAlerts(for: decision) {
                    try await Self.raiseAlert(tenant: tenant, draft, now: now, on: connection, logger: logger)
                }
                return decision
            }
        } catch is RequestIDTaken {
            // The request_id is known (perhaps committed a moment ago by another replica): answer that decision.
            let existing = try await withConnection { connection in
                try await Self.storedDecision(tenant: tenant, requestID: request.requestID, on: connection, logger: logger)
            }
            guard let existing else { throw StoreError(.internalError, code: "internal_error", message: "request_id vanished") }
            guard existing.requestJSON == requestJSON else {
                throw StoreError(
                    .conflict, code: "request_id_reused",
                    message: "request_id \(request.requestID) was already used for another request (decision \(existing.id.uuidString.lowercased()))",
                    field: "request_id"
                )
            }
            var repeated = existing
            repeated.repeated = true
            return repeated
        }
    }

    /// The alerts a decision raises: one per cost limit that vetoed (deny, or clamp) and one per warn-mode breach.
    static func capAlerts(for decision: StoredDecision) -> [AlertDraft] {
        let request = decision.request
        let costCodes: Set<String> = ["cap_period_spend", "cap_hourly_run_rate", "cap_cpu_cores", "cap_memory_gib", "cap_replicas", "budget_forecast", "unpriced", "unknown_resources"]
        var drafts: [AlertDraft] = []
        for reason in decision.result.reasons where costCodes.contains(reason.code) && reason.enforcement != .dryrun {
            let veto = reason.enforcement == .deny
            let kind: AlertKind = veto ? .capVeto : .capWarning
            let details = (try? ConfigJSON.encode(CapAlertDetails(
                decisionID: decision.id.uuidString.lowercased(), code: reason.code, limitName: reason.limitName, limit: reason.limit,
                value: reason.value, outcome: decision.result.outcome.rawValue, requestedReplicas: request.desiredReplicas,
                allowedReplicas: decision.result.allowedReplicas
            ))) ?? "{}"
            drafts.append(
                AlertDraft(
                    dedupKey: "\(kind.rawValue):\(request.environment):\(request.service):\(reason.limitName):\(reason.code)", kind: kind,
                    severity: .warning, environment: request.environment, service: request.service,
                    summary: "\(veto ? "vetoed" : "allowed over a warn cap"): scale-up of \(request.service) \(request.currentReplicas)→\(request.desiredReplicas) — \(reason.message)",
                    details: details
                )
            )
        }
        return drafts
    }

    struct CapAlertDetails: Encodable {
        var decisionID: String
        var code: String
        var limitName: String
        var limit: String
        var value: String
        var outcome: String
        var requestedReplicas: Int
        var allowedReplicas: Int

        enum CodingKeys: String, CodingKey {
            case code, limit, value, outcome
            case decisionID = "decision_id"
            case limitName = "limit_name"
            case requestedReplicas = "requested_replicas"
            case allowedReplicas = "allowed_replicas"
        }
    }

    /// A decision's `request_id` is already stored (idempotency is enforced by the unique key, not by a read first).
    struct RequestIDTaken: Error {}

    /// Writes the decision and, for an approved increment, its reservation and the environment's new total — one statement.
    static func record(
        _ decision: StoredDecision, settings: DecisionSettings, citus: Bool = false, remembering workload: KubernetesWorkload? = nil,
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        let request = decision.request
        let replicas = decision.result.reservedReplicas
        let resources = request.perReplicaResources
        let rate = decision.result.incrementalCostPerHour?.nanos ?? 0
        // A resize of the current replicas (a new pod template) that was not refused holds what it adds too.
        let resized = decision.result.outcome == .deny ? [:] : request.resizeChange
        let cpu = max(0, Double(replicas) * (resources[.cpuCores] ?? 0) + (resized[.cpuCores] ?? 0))
        let memory = max(0, Double(replicas) * (resources[.memoryGiB] ?? 0) + (resized[.memoryGiB] ?? 0))
        let now = decision.snapshot.evaluatedAt
        let reserve = replicas > 0 || (rate > 0 && decision.result.outcome != .deny)
        let statement = RecordDecisionStatement(
            tenant: decision.tenant, decisionID: decision.id, request: request, outcome: decision.result.outcome.rawValue,
            allowedReplicas: decision.result.allowedReplicas, evaluatedAt: now, requestJSON: decision.requestJSON,
            snapshotJSON: decision.snapshotJSON, resultJSON: decision.resultJSON, reserve: reserve, replicas: replicas,
            rateNanos: rate, cpuCores: cpu, memoryGiB: memory, expiresAt: now + settings.reservationTTL
        )
        if citus {
            for try await _ in try await connection.execute(CitusRecordDecisionStatement(base: statement), logger: logger) {}
            if let workload {
                // The same transaction, on the tenant's worker.
                try await rememberWorkload(tenant: decision.tenant, workload, on: connection, logger: logger)
            }
        } else if let workload {
            let remembering = RecordDecisionAndWorkloadStatement(base: statement, workload: workload, perReplica: try ConfigJSON.encode(workload.perReplica))
            for try await _ in try await connection.execute(remembering, logger: logger) {}
        } else {
            for try await _ in try await connection.execute(statement, logger: logger) {}
        }
    }

    /// Evaluates a scaling request against a snapshot taken now, and records nothing: no decision, no
    /// reservation, no alert (a dry run). The snapshot's locks are released with the rolled-back transaction.
    /// With `expecting`, it throws `ConfigurationChanged` as `decide` does.
    public func evaluate(
        tenant: String, request: DecisionRequest, now: Timestamp, expecting: ConfigurationVersion? = nil
    ) async throws -> (snapshot: DecisionSnapshot, result: DecisionResult) {
        let logger = self.logger
        let configs = decisionConfigs
        let engineCache = self.engineCache
        return try await withConnection { connection in
            try await connection.perform("BEGIN", logger: logger)
            do {
                let citus = try await engineCache.engine(on: connection, logger: logger).isCitus
                let snapshot = try await Self.snapshot(
                    tenant: tenant, request: request, now: now, runRateHour: Forecast.latestCompleteHour(at: now), lockTimeout: "1s",
                    configs: configs, citus: citus, expecting: expecting, on: connection, logger: logger
                )
                try await connection.perform("ROLLBACK", logger: logger)
                return (snapshot, DecisionEngine.evaluate(request, snapshot))
            } catch {
                try? await connection.perform("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// The decision stored under `requestID`, if any.
    public func decision(tenant: String, requestID: String) async throws -> StoredDecision? {
        let logger = self.logger
        return try await withConnection { connection in
            try await Self.storedDecision(tenant: tenant, requestID: requestID, on: connection, logger: logger)
        }
    }

    static func storedDecision(tenant: String, requestID: String, on connection: PostgresConnection, logger: Logger) async throws -> StoredDecision? {
        let rows = try await connection.query(
            "SELECT decision_id, request_json, snapshot_json, result_json FROM decisions WHERE tenant_id = \(tenant) AND request_id = \(requestID)",
            logger: logger
        )
        for try await (id, request, snapshot, result) in rows.decode((UUID, String, String, String).self) {
            return try StoredDecision(tenant: tenant, id: id, requestJSON: request, snapshotJSON: snapshot, resultJSON: result)
        }
        return nil
    }

    /// A stored decision by id (scoped by tenant).
    public func decision(tenant: String, id: UUID) async throws -> StoredDecision {
        let logger = self.logger
        return try await withConnection { connection in
            let rows = try await connection.query(
                "SELECT request_json, snapshot_json, result_json FROM decisions WHERE tenant_id = \(tenant) AND decision_id = \(id)",
                logger: logger
            )
            for try await (request, snapshot, result) in rows.decode((String, String, String).self) {
                return try StoredDecision(tenant: tenant, id: id, requestJSON: request, snapshotJSON: snapshot, resultJSON: result)
            }
            throw StoreError(.notFound, code: "decision_not_found", message: "no decision \(id.uuidString.lowercased()) for tenant \(tenant)")
        }
    }

    /// Returns a decision's reservation early (the scale did not happen). Throws `conflict` when nothing is held.
    public func releaseReservation(tenant: String, decisionID: UUID, now: Timestamp) async throws -> StoredDecision {
        let decision = try await decision(tenant: tenant, id: decisionID)
        let logger = self.logger
        try await transaction("release") { connection in
            try await connection.perform(
                "SELECT 1 FROM environment_state WHERE tenant_id = \(tenant) AND environment = \(decision.request.environment) FOR UPDATE",
                logger: logger
            )
            let rows = try await connection.query(
                """
                WITH ended AS (
                    UPDATE reservations SET ended_at = \(now), end_reason = 'released'
                    WHERE tenant_id = \(tenant) AND decision_id = \(decisionID) AND ended_at IS NULL
                    RETURNING environment, rate_nanos, cpu_cores, memory_gib, replicas
                )
                UPDATE environment_state s
                SET reserved_rate_nanos = s.reserved_rate_nanos - e.rate_nanos,
                    reserved_cpu_cores = greatest(0, s.reserved_cpu_cores - e.cpu_cores),
                    reserved_memory_gib = greatest(0, s.reserved_memory_gib - e.memory_gib),
                    reserved_replicas = s.reserved_replicas - e.replicas
                FROM ended e
                WHERE s.tenant_id = \(tenant) AND s.environment = e.environment
                RETURNING 1
                """,
                logger: logger
            )
            var released = false
            for try await _ in rows.decode(Int.self) { released = true }
            guard released else {
                throw StoreError(
                    .conflict, code: "nothing_reserved",
                    message: "decision \(decisionID.uuidString.lowercased()) holds no reservation (none was made, or it was released, lapsed or is in the run rate)"
                )
            }
        }
        return decision
    }

    /// Live reservations of an environment, recomputed from the rows (for tests and the doctor).
    public func liveReservations(tenant: String, environment: String) async throws -> (count: Int, ratePerHour: Money, runningTotal: Money) {
        let logger = self.logger
        return try await withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT (SELECT count(*) FROM reservations WHERE tenant_id = \(tenant) AND environment = \(environment) AND ended_at IS NULL),
                       (SELECT coalesce(sum(rate_nanos), 0)::int8 FROM reservations WHERE tenant_id = \(tenant) AND environment = \(environment) AND ended_at IS NULL),
                       coalesce((SELECT reserved_rate_nanos FROM environment_state WHERE tenant_id = \(tenant) AND environment = \(environment)), 0)
                """,
                logger: logger
            )
            for try await (count, rate, total) in rows.decode((Int, Int64, Int64).self) {
                return (count, Money(nanos: rate), Money(nanos: total))
            }
            return (0, .zero, .zero)
        }
    }
}

extension StoredDecision {
    init(tenant: String, id: UUID, requestJSON: String, snapshotJSON: String, resultJSON: String) throws {
        self.init(
            id: id, tenant: tenant,
            request: try ConfigJSON.decode(DecisionRequest.self, from: requestJSON),
            snapshot: try ConfigJSON.decode(DecisionSnapshot.self, from: snapshotJSON),
            result: try ConfigJSON.decode(DecisionResult.self, from: resultJSON),
            requestJSON: requestJSON, snapshotJSON: snapshotJSON, resultJSON: resultJSON, repeated: false
        )
    }

    /// Re-evaluates the stored request and snapshot with the pure engine; true when the bytes are identical.
    public func replay() throws -> (identical: Bool, resultJSON: String) {
        let replayed = try ConfigJSON.encode(DecisionEngine.evaluate(request, snapshot))
        return (replayed == resultJSON, replayed)
    }
}
