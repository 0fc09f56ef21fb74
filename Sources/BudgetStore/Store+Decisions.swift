import BudgetCore
import Foundation
import Logging
import PostgresNIO

/// How decisions hold headroom.
public struct DecisionSettings: Sendable {
    /// An approved increment that the caller does not confirm (by reporting the new replica count in a later
    /// request) lapses after this long; a confirmed one is held until the run rate includes it.
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
}

extension BudgetStore {
    /// Evaluates a scaling request and records it, in one transaction.
    ///
    /// A scale-up locks the environment's state row, so concurrent scale-ups (from any replica of the
    /// service) are serialised and never spend the same headroom; its approved increment is reserved.
    public func decide(tenant: String, request: DecisionRequest, now: Timestamp, settings: DecisionSettings = .init()) async throws -> StoredDecision {
        let requestJSON = try ConfigJSON.encode(request)
        let logger = self.logger
        return try await transaction("decide") { connection in
            if let existing = try await Self.storedDecision(tenant: tenant, requestID: request.requestID, on: connection, logger: logger) {
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
            let scaleUp = request.desiredReplicas > request.currentReplicas
            let runRateHour = Forecast.latestCompleteHour(at: now)
            var reserved = DecisionSnapshot.Figures()
            if scaleUp {
                reserved = try await Self.lockEnvironment(
                    tenant: tenant, request: request, now: now, runRateHour: runRateHour, on: connection, logger: logger
                )
            }
            let snapshot = try await Self.snapshot(
                tenant: tenant, request: request, now: now, runRateHour: runRateHour, reserved: reserved, on: connection, logger: logger
            )
            let result = DecisionEngine.evaluate(request, snapshot)
            let decision = StoredDecision(
                id: UUID(), tenant: tenant, request: request, snapshot: snapshot, result: result, requestJSON: requestJSON,
                snapshotJSON: try ConfigJSON.encode(snapshot), resultJSON: try ConfigJSON.encode(result), repeated: false
            )
            do {
                try await Self.insert(decision, on: connection, logger: logger)
            } catch let error as PSQLError where error.sqlState == "23505" {
                // The same request_id committed concurrently: run again to return that decision.
                throw RetryTransaction(reason: "concurrent decision with the same request_id")
            }
            if result.reservedReplicas > 0 {
                try await Self.reserve(decision, settings: settings, on: connection, logger: logger)
            }
            return decision
        }
    }

    /// Locks the environment's state row, ends lapsed reservations, confirms this service's, and returns
    /// the running totals of what is still reserved.
    static func lockEnvironment(
        tenant: String, request: DecisionRequest, now: Timestamp, runRateHour: Timestamp,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> DecisionSnapshot.Figures {
        try await connection.query(
            """
            INSERT INTO environment_state (tenant_id, environment) VALUES (\(tenant), \(request.environment))
            ON CONFLICT (tenant_id, environment) DO UPDATE SET tenant_id = excluded.tenant_id
            """,
            logger: logger
        )
        let rows = try await connection.query(
            """
            WITH ended AS (
                UPDATE reservations
                SET ended_at = \(now), end_reason = CASE WHEN created_at <= \(runRateHour) THEN 'in_run_rate' ELSE 'expired' END
                WHERE tenant_id = \(tenant) AND environment = \(request.environment) AND ended_at IS NULL
                  AND (created_at <= \(runRateHour) OR (NOT confirmed AND expires_at <= \(now)))
                RETURNING rate_nanos, cpu_cores, memory_gib, replicas
            ), confirmed AS (
                UPDATE reservations SET confirmed = true
                WHERE tenant_id = \(tenant) AND environment = \(request.environment) AND service = \(request.service)
                  AND ended_at IS NULL AND NOT confirmed AND target_replicas <= \(request.currentReplicas)
                  AND created_at > \(runRateHour) AND (expires_at > \(now))
                RETURNING 1
            )
            UPDATE environment_state s
            SET reserved_rate_nanos = s.reserved_rate_nanos - coalesce((SELECT sum(rate_nanos) FROM ended), 0),
                reserved_cpu_cores = greatest(0, s.reserved_cpu_cores - coalesce((SELECT sum(cpu_cores) FROM ended), 0)),
                reserved_memory_gib = greatest(0, s.reserved_memory_gib - coalesce((SELECT sum(memory_gib) FROM ended), 0)),
                reserved_replicas = s.reserved_replicas - coalesce((SELECT sum(replicas) FROM ended), 0)::int
            WHERE s.tenant_id = \(tenant) AND s.environment = \(request.environment)
            RETURNING s.reserved_rate_nanos, s.reserved_cpu_cores, s.reserved_memory_gib, s.reserved_replicas, (SELECT count(*) FROM confirmed)
            """,
            logger: logger
        )
        for try await (rate, cpu, memory, replicas, _) in rows.decode((Int64, Double, Double, Int, Int).self) {
            return .init(reservedPerHour: Money(nanos: rate), cpuCores: cpu, memoryGiB: memory, replicas: Double(replicas))
        }
        return .init()
    }

    /// Captures everything the decision depends on.
    static func snapshot(
        tenant: String, request: DecisionRequest, now: Timestamp, runRateHour: Timestamp, reserved: DecisionSnapshot.Figures,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> DecisionSnapshot {
        let configuration = try await connection.query(
            """
            SELECT
              (SELECT spec::text FROM scaling_policies WHERE tenant_id = \(tenant) AND environment = \(request.environment) AND service = \(request.service)),
              (SELECT json_agg(spec ORDER BY service)::text FROM caps WHERE tenant_id = \(tenant) AND environment = \(request.environment) AND service IN ('', \(request.service))),
              (SELECT json_agg(spec ORDER BY name)::text FROM budgets WHERE tenant_id = \(tenant) AND environment = \(request.environment) AND enforce AND service IN ('', \(request.service))),
              (SELECT period_kind FROM tenant_settings WHERE tenant_id = \(tenant)),
              (SELECT period_start_day FROM tenant_settings WHERE tenant_id = \(tenant))
            """,
            logger: logger
        )
        var policy: ScalingPolicy?
        var caps: [Cap] = []
        var budgets: [Budget] = []
        var period = BillingPeriod.calendarMonth
        for try await (policyJSON, capsJSON, budgetsJSON, periodKind, startDay) in configuration.decode((String?, String?, String?, String?, Int?).self) {
            policy = try policyJSON.map { try ConfigJSON.decode(ScalingPolicy.self, from: $0) }
            caps = try capsJSON.map { try ConfigJSON.decode([Cap].self, from: $0) } ?? []
            budgets = try budgetsJSON.map { try ConfigJSON.decode([Budget].self, from: $0) } ?? []
            period = BillingPeriod(kind: periodKind.flatMap(PeriodKind.init(rawValue:)) ?? .month, startDay: startDay ?? 1)
        }
        let history = try await loadRateCards(tenant: tenant, on: connection, logger: logger)
        let bounds = period.bounds(containing: now)
        var environment = try await environmentFigures(
            tenant: tenant, environment: request.environment, periodStart: bounds.start, now: now, runRateHour: runRateHour,
            on: connection, logger: logger
        )
        environment.reservedPerHour = reserved.reservedPerHour
        environment.cpuCores += reserved.cpuCores
        environment.memoryGiB += reserved.memoryGiB
        environment.replicas += reserved.replicas
        let needsService = caps.contains { $0.service != nil } || budgets.contains { $0.service != nil }
        let service = needsService
            ? try await serviceFigures(
                tenant: tenant, environment: request.environment, service: request.service, periodStart: bounds.start, now: now,
                runRateHour: runRateHour, on: connection, logger: logger
            )
            : DecisionSnapshot.Figures()
        var budgetFigures: [String: DecisionSnapshot.BudgetFigures] = [:]
        for budget in budgets {
            let budgetBounds = BillingPeriod(kind: budget.period, startDay: period.startDay).bounds(containing: now)
            var figures: DecisionSnapshot.Figures
            if budget.service == nil {
                figures = budgetBounds.start == bounds.start
                    ? environment
                    : try await environmentFigures(
                        tenant: tenant, environment: request.environment, periodStart: budgetBounds.start, now: now, runRateHour: runRateHour,
                        on: connection, logger: logger
                    )
                figures.reservedPerHour = reserved.reservedPerHour
            } else {
                figures = try await serviceFigures(
                    tenant: tenant, environment: request.environment, service: request.service, periodStart: budgetBounds.start,
                    now: now, runRateHour: runRateHour, on: connection, logger: logger
                )
            }
            budgetFigures[budget.name] = .init(periodStart: budgetBounds.start, periodEnd: budgetBounds.end, figures: figures)
        }
        let scaleHistory = try await scaleHistory(tenant: tenant, request: request, policy: policy, now: now, on: connection, logger: logger)
        return DecisionSnapshot(
            evaluatedAt: now, policy: policy, caps: caps, budgets: budgets, rateCard: history.card(at: now),
            periodStart: bounds.start, periodEnd: bounds.end, environmentFigures: environment, serviceFigures: service,
            budgetFigures: budgetFigures, history: scaleHistory
        )
    }

    /// The service's recent approved scalings and, for scale-downs, the signals of recent requests.
    static func scaleHistory(
        tenant: String, request: DecisionRequest, policy: ScalingPolicy?, now: Timestamp,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> DecisionSnapshot.ScaleHistory {
        guard let policy else { return .init() }
        let window = Int64(policy.scaleUp.windowSeconds ?? 0)
        let lookback = max(Int64(policy.scaleUp.cooldownSeconds), Int64(policy.scaleDown.cooldownSeconds), Int64(policy.scaleDown.safetyWindowSeconds), window)
        let since = now - .seconds(lookback)
        let windowStart = now - .seconds(window)
        let rows = try await connection.query(
            """
            SELECT
              max(evaluated_at) FILTER (WHERE desired_replicas > current_replicas AND outcome IN ('allow', 'clamp')),
              max(evaluated_at) FILTER (WHERE desired_replicas < current_replicas AND outcome IN ('allow', 'clamp')),
              coalesce(sum(allowed_replicas - current_replicas) FILTER (
                WHERE desired_replicas > current_replicas AND outcome IN ('allow', 'clamp') AND evaluated_at > \(windowStart)), 0)::int8
            FROM decisions
            WHERE tenant_id = \(tenant) AND environment = \(request.environment) AND service = \(request.service)
              AND evaluated_at >= \(since) AND evaluated_at <= \(now)
            """,
            logger: logger
        )
        var history = DecisionSnapshot.ScaleHistory()
        for try await (lastUp, lastDown, added) in rows.decode((Timestamp?, Timestamp?, Int64).self) {
            history.lastScaleUpAt = lastUp
            history.lastScaleDownAt = lastDown
            history.addedInWindow = window > 0 ? Int(added) : 0
        }
        if request.desiredReplicas < request.currentReplicas && policy.scaleDown.safetyWindowSeconds > 0 {
            // The latest request at or before the window's start anchors it; every later one must meet the conditions.
            let windowOpen = now - .seconds(Int64(policy.scaleDown.safetyWindowSeconds))
            let observations = try await connection.query(
                """
                (SELECT evaluated_at, request_json FROM decisions
                 WHERE tenant_id = \(tenant) AND environment = \(request.environment) AND service = \(request.service)
                   AND evaluated_at <= \(windowOpen) ORDER BY evaluated_at DESC LIMIT 1)
                UNION ALL
                (SELECT evaluated_at, request_json FROM decisions
                 WHERE tenant_id = \(tenant) AND environment = \(request.environment) AND service = \(request.service)
                   AND evaluated_at > \(windowOpen) AND evaluated_at < \(now) ORDER BY evaluated_at LIMIT 1000)
                """,
                logger: logger
            )
            for try await (at, json) in observations.decode((Timestamp, String).self) {
                let signals = (try? ConfigJSON.decode(DecisionRequest.self, from: json))?.signals ?? []
                history.observations.append(.init(at: at, signals: signals))
            }
            history.observations.sort { $0.at < $1.at }
        }
        return history
    }

    static func insert(_ decision: StoredDecision, on connection: PostgresConnection, logger: Logger) async throws {
        let request = decision.request
        try await connection.query(
            """
            INSERT INTO decisions (tenant_id, decision_id, request_id, environment, service, current_replicas, desired_replicas,
                                   outcome, allowed_replicas, evaluated_at, request_json, snapshot_json, result_json)
            VALUES (\(decision.tenant), \(decision.id), \(request.requestID), \(request.environment), \(request.service),
                    \(request.currentReplicas), \(request.desiredReplicas), \(decision.result.outcome.rawValue),
                    \(decision.result.allowedReplicas), \(decision.snapshot.evaluatedAt), \(decision.requestJSON),
                    \(decision.snapshotJSON), \(decision.resultJSON))
            """,
            logger: logger
        )
    }

    static func reserve(_ decision: StoredDecision, settings: DecisionSettings, on connection: PostgresConnection, logger: Logger) async throws {
        let replicas = decision.result.reservedReplicas
        let resources = decision.request.perReplicaResources
        let rate = decision.result.incrementalCostPerHour?.nanos ?? 0
        let cpu = Double(replicas) * (resources[.cpuCores] ?? 0)
        let memory = Double(replicas) * (resources[.memoryGiB] ?? 0)
        let now = decision.snapshot.evaluatedAt
        try await connection.query(
            """
            WITH reserved AS (
                INSERT INTO reservations (tenant_id, decision_id, environment, service, replicas, target_replicas, rate_nanos,
                                          cpu_cores, memory_gib, created_at, expires_at)
                VALUES (\(decision.tenant), \(decision.id), \(decision.request.environment), \(decision.request.service), \(replicas),
                        \(decision.result.allowedReplicas), \(rate), \(cpu), \(memory), \(now), \(now + settings.reservationTTL))
                RETURNING 1
            )
            UPDATE environment_state
            SET reserved_rate_nanos = reserved_rate_nanos + \(rate), reserved_cpu_cores = reserved_cpu_cores + \(cpu),
                reserved_memory_gib = reserved_memory_gib + \(memory), reserved_replicas = reserved_replicas + \(replicas)
            WHERE tenant_id = \(decision.tenant) AND environment = \(decision.request.environment) AND EXISTS (SELECT 1 FROM reserved)
            """,
            logger: logger
        )
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
            try await connection.query(
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
