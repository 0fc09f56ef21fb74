import BudgetCore
import Foundation
import Logging
import PostgresNIO

extension BudgetStore {
    /// Captures everything the decision depends on. One query locks the environment for a scale-up (with the
    /// reserved totals) and reads the configuration, the rate card, the environment's figures and the service's
    /// recent scalings; service caps, enforcing budgets and the scale-down safety window add a query each only
    /// when they exist. `lockTimeout` (in a transaction shared with other decisions) bounds its locks, and those of
    /// the rest of the transaction. The configuration comes from `configs` when the tenant's configuration
    /// generation is still the one it was read at. With `expecting`, it throws `ConfigurationChanged` when the
    /// tenant's generation (read in the same statement) is another: what the caller derived the request from
    /// (the webhook's bindings) may have changed.
    static func snapshot(
        tenant: String, request: DecisionRequest, now: Timestamp, runRateHour: Timestamp, lockTimeout: String?,
        configs: DecisionConfigs, citus: Bool = false, expecting: ConfigurationVersion? = nil, on connection: PostgresConnection, logger: Logger
    ) async throws -> DecisionSnapshot {
        let key = DecisionConfigs.Key(tenant: tenant, environment: request.environment, service: request.service)
        let known = configs.entry(for: key)
        let statement = DecisionSnapshotStatement(
            tenant: tenant, environment: request.environment, service: request.service, now: now, runRateHour: runRateHour,
            currentReplicas: request.currentReplicas, scaleUp: request.mayCostMore,
            lockTimeout: lockTimeout, knownGeneration: known?.generation ?? 0, knownServerStart: known?.serverStart ?? .epoch
        )
        var rows: [DecisionSnapshotStatement.Row] = []
        if citus {
            for try await row in try await connection.execute(CitusDecisionSnapshotStatement(base: statement), logger: logger) { rows.append(row) }
        } else {
            for try await row in try await connection.execute(statement, logger: logger) { rows.append(row) }
        }
        var reserved = DecisionSnapshot.Figures()
        var policy: ScalingPolicy?
        var caps: [Cap] = []
        var budgets: [Budget] = []
        var period = BillingPeriod.calendarMonth
        var periodStartInDatabase = Timestamp.epoch
        var history = RateCardHistory.empty
        var environment = DecisionSnapshot.Figures()
        var scaleHistory = DecisionSnapshot.ScaleHistory()
        var read: ConfigurationVersion?
        for row in rows {
            read = ConfigurationVersion(generation: row.configGeneration, serverStart: row.serverStart)
            if let known, row.configGeneration != 0, row.configGeneration == known.generation, row.serverStart == known.serverStart {
                // The statement sent no documents: they have not changed since `known` was read.
                (policy, caps, budgets, history) = (known.policy, known.caps, known.budgets, known.rateCards)
            } else {
                policy = try row.policy.map { try DecisionConfigCache.policies.value(for: $0) { try ConfigJSON.decode(ScalingPolicy.self, from: $0) } }
                caps = try row.caps.map { try DecisionConfigCache.caps.value(for: $0) { try ConfigJSON.decode([Cap].self, from: $0) } } ?? []
                budgets = try row.budgets.map { try DecisionConfigCache.budgets.value(for: $0) { try ConfigJSON.decode([Budget].self, from: $0) } } ?? []
                history = try row.rateCards.map { try DecisionConfigCache.rateCards.value(for: $0, decode: Self.rateCards) } ?? .empty
                configs.store(
                    .init(
                        generation: row.configGeneration, serverStart: row.serverStart, policy: policy, caps: caps, budgets: budgets,
                        rateCards: history
                    ),
                    for: key
                )
            }
            period = BillingPeriod(kind: PeriodKind(rawValue: row.periodKind) ?? .month, startDay: row.periodStartDay)
            periodStartInDatabase = row.periodStart
            environment = .init(
                spendSoFar: Money(nanos: row.spendDays + row.spendToday), runRatePerHour: Money(nanos: row.runRate),
                cpuCores: row.cpu, memoryGiB: row.memory, replicas: row.replicas
            )
            scaleHistory = .init(lastScaleUpAt: row.lastUp, lastScaleDownAt: row.lastDown, addedInWindow: Int(row.addedInWindow))
            reserved = .init(
                reservedPerHour: Money(nanos: row.reservedRate), cpuCores: row.reservedCPU, memoryGiB: row.reservedMemory,
                replicas: Double(row.reservedReplicas)
            )
        }
        if let expecting, read != expecting { throw ConfigurationChanged() }
        let bounds = period.bounds(containing: now)
        guard bounds.start == periodStartInDatabase else {
            throw StoreError(.internalError, code: "period_mismatch", message: "the database and the engine disagree on the period start")
        }
        if policy?.scaleUp.windowSeconds == nil { scaleHistory.addedInWindow = 0 }
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
        if let policy, request.desiredReplicas < request.currentReplicas, policy.scaleDown.safetyWindowSeconds > 0 {
            scaleHistory.observations = try await observations(tenant: tenant, request: request, policy: policy, now: now, on: connection, logger: logger)
        }
        return DecisionSnapshot(
            evaluatedAt: now, policy: policy, caps: caps, budgets: budgets, rateCard: history.card(at: now),
            periodStart: bounds.start, periodEnd: bounds.end, environmentFigures: environment, serviceFigures: service,
            budgetFigures: budgetFigures, history: scaleHistory
        )
    }

    /// The rate-card versions from the JSON the snapshot query builds.
    static func rateCards(_ json: String) throws -> RateCardHistory {
        struct Row: Decodable {
            var version: Int
            var effective_from: String
            var currency: String
            var prices: [String: Int64]
        }
        var cards: [RateCard] = []
        for row in try ConfigJSON.decode([Row].self, from: json) {
            guard let currency = Currency(row.currency), let effectiveFrom = Timestamp(rfc3339: row.effective_from) else { continue }
            var prices: [Resource: Price] = [:]
            for (name, picos) in row.prices {
                if let resource = Resource(rawValue: name), let price = Price(picos: picos) { prices[resource] = price }
            }
            cards.append(RateCard(version: row.version, effectiveFrom: effectiveFrom, currency: currency, prices: prices))
        }
        return RateCardHistory(cards)
    }

    /// The signals of the service's requests over the safety window, anchored by the latest one at or before its start.
    static func observations(
        tenant: String, request: DecisionRequest, policy: ScalingPolicy, now: Timestamp,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> [DecisionSnapshot.Observation] {
        let windowOpen = now - .seconds(Int64(policy.scaleDown.safetyWindowSeconds))
        let rows = try await connection.query(
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
        var observations: [DecisionSnapshot.Observation] = []
        for try await (at, json) in rows.decode((Timestamp, String).self) {
            let signals = (try? ConfigJSON.decode(DecisionRequest.self, from: json))?.signals ?? []
            observations.append(.init(at: at, signals: signals))
        }
        return observations.sorted { $0.at < $1.at }
    }
}
