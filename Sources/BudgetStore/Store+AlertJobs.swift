import BudgetCore
import Foundation
import Logging
import PostgresNIO

/// The periodic alert work: budget thresholds, ending quiet cap alerts, reminders. Each run is guarded by
/// an advisory lock, so with several replicas exactly one does it.
extension BudgetStore {
    /// Advisory lock keys of the periodic jobs.
    enum JobLock: Int64 {
        case budgets = 0x6368_6A6F_6201
        case capAlerts = 0x6368_6A6F_6202
        case reminders = 0x6368_6A6F_6203
        case anomalies = 0x6368_6A6F_6204
        case partitions = 0x6368_6A6F_6205
    }

    /// Runs `body` if this process wins the job's lock (`pg_try_advisory_lock`); nil when another replica holds it.
    func exclusively<T: Sendable>(_ job: JobLock, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        let logger = self.logger
        return try await withConnection { connection in
            let rows = try await connection.query("SELECT pg_try_advisory_lock(\(job.rawValue))", logger: logger)
            var won = false
            for try await value in rows.decode(Bool.self) { won = value }
            guard won else { return nil }
            do {
                let result = try await body()
                try await connection.perform("SELECT pg_advisory_unlock(\(job.rawValue))", logger: logger)
                return result
            } catch {
                _ = try? await connection.perform("SELECT pg_advisory_unlock(\(job.rawValue))", logger: logger)
                throw error
            }
        }
    }

    /// Raises an alert for every budget threshold reached (actual or forecast) for the first time this period,
    /// and resolves budget alerts of periods that ended. Returns the alerts raised.
    @discardableResult
    public func evaluateBudgets(now: Timestamp) async throws -> Int {
        try await exclusively(.budgets) { [self] in
            let logger = self.logger
            let budgets: [(String, Budget)] = try await withConnection { connection in
                let rows = try await connection.query("SELECT tenant_id, spec::text FROM budgets ORDER BY tenant_id, name", logger: logger)
                var list: [(String, Budget)] = []
                for try await (tenant, spec) in rows.decode((String, String).self) {
                    list.append((tenant, try ConfigJSON.decode(Budget.self, from: spec)))
                }
                return list
            }
            var raised = 0
            for (tenant, budget) in budgets {
                raised += try await transaction("budget-thresholds") { connection in
                    try await Self.evaluate(budget, tenant: tenant, now: now, on: connection, logger: logger)
                }
            }
            try await transaction("budget-alerts-period-end") { connection in
                let rows = try await connection.query(
                    """
                    SELECT tenant_id, dedup_key FROM alerts
                    WHERE kind IN ('budget_actual', 'budget_forecast') AND state <> 'resolved' AND (details->>'period_end')::timestamptz <= \(now)
                    """,
                    logger: logger
                )
                var ended: [(String, String)] = []
                for try await pair in rows.decode((String, String).self) { ended.append(pair) }
                for (tenant, key) in ended {
                    try await Self.resolveAlert(tenant: tenant, dedupKey: key, now: now, on: connection, logger: logger)
                }
            }
            return raised
        } ?? 0
    }

    static func evaluate(_ budget: Budget, tenant: String, now: Timestamp, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        let period = try await loadBillingPeriod(tenant: tenant, on: connection, logger: logger)
        let bounds = BillingPeriod(kind: budget.period, startDay: period.startDay).bounds(containing: now)
        let runRateHour = Forecast.latestCompleteHour(at: now)
        let values: DecisionSnapshot.Figures
        if let service = budget.service {
            values = try await serviceFigures(
                tenant: tenant, environment: budget.environment, service: service, periodStart: bounds.start, now: now,
                runRateHour: runRateHour, on: connection, logger: logger
            )
        } else {
            values = try await environmentFigures(
                tenant: tenant, environment: budget.environment, periodStart: bounds.start, now: now, runRateHour: runRateHour,
                on: connection, logger: logger
            )
        }
        guard let projection = Forecast.project(spendSoFar: values.spendSoFar, runRatePerHour: values.runRatePerHour, now: now, period: bounds) else {
            return 0
        }
        let currency = (try await loadRateCards(tenant: tenant, on: connection, logger: logger)).currency?.code ?? ""
        var raised = 0
        for crossing in BudgetThresholds.crossings(of: budget, actual: projection.spendSoFar, forecast: projection.forecast) {
            let alertID = UUID()
            let marked = try await connection.query(
                """
                INSERT INTO budget_threshold_marks (tenant_id, budget_name, period_start, basis, threshold, alert_id, marked_at)
                VALUES (\(tenant), \(budget.name), \(bounds.start), \(crossing.basis.rawValue), \(crossing.percent), \(alertID), \(now))
                ON CONFLICT DO NOTHING RETURNING 1
                """,
                logger: logger
            )
            var isNew = false
            for try await _ in marked.decode(Int.self) { isNew = true }
            guard isNew else { continue }
            let what = crossing.basis == .actual ? "actual spend" : "forecast"
            let details = try ConfigJSON.encode([
                "budget": budget.name, "basis": crossing.basis.rawValue, "threshold_percent": "\(crossing.percent)",
                "value": crossing.value.decimalString, "amount": budget.amount.decimalString, "currency": currency,
                "period_start": bounds.start.rfc3339, "period_end": bounds.end.rfc3339,
            ])
            try await raiseAlert(
                tenant: tenant,
                AlertDraft(
                    dedupKey: "budget:\(budget.name):\(bounds.start.rfc3339):\(crossing.basis.rawValue):\(crossing.percent)",
                    kind: crossing.basis == .actual ? .budgetActual : .budgetForecast, severity: crossing.severity,
                    environment: budget.environment, service: budget.service,
                    summary: "budget \(budget.name): \(what) \(crossing.value.formatted(grouping: true)) \(currency) reached \(crossing.percent)% of \(budget.amount.formatted(grouping: true)) \(currency)",
                    details: details
                ),
                now: now, on: connection, logger: logger
            )
            raised += 1
        }
        return raised
    }

    /// Resolves cap alerts not seen for `quiet` (the autoscaler stopped hitting the limit).
    @discardableResult
    public func resolveQuietCapAlerts(now: Timestamp, quiet: TimeSpan) async throws -> Int {
        try await exclusively(.capAlerts) { [self] in
            let logger = self.logger
            return try await transaction("quiet-cap-alerts") { connection in
                let rows = try await connection.query(
                    """
                    SELECT tenant_id, dedup_key FROM alerts
                    WHERE kind IN ('cap_veto', 'cap_warning') AND state <> 'resolved' AND last_seen_at < \(now - quiet)
                    """,
                    logger: logger
                )
                var quietAlerts: [(String, String)] = []
                for try await pair in rows.decode((String, String).self) { quietAlerts.append(pair) }
                for (tenant, key) in quietAlerts {
                    try await Self.resolveAlert(tenant: tenant, dedupKey: key, now: now, on: connection, logger: logger)
                }
                return quietAlerts.count
            }
        } ?? 0
    }

    /// Queues a reminder for every alert still firing (not acknowledged) and not notified for `interval`.
    @discardableResult
    public func sendReminders(now: Timestamp, interval: TimeSpan) async throws -> Int {
        try await exclusively(.reminders) { [self] in
            let logger = self.logger
            return try await transaction("alert-reminders") { connection in
                let rows = try await connection.query(
                    """
                    SELECT tenant_id, \(unescaped: Self.alertColumns) FROM alerts
                    WHERE state = 'firing' AND coalesce(last_notified_at, fired_at) <= \(now - interval)
                    """,
                    logger: logger
                )
                var due: [AlertRecord] = []
                for try await row in rows {
                    let c = try row.decode(
                        (String, UUID, String, String, String, String, String, String?, String, String, Int, Timestamp, Timestamp, Timestamp?, Timestamp?, String?).self
                    )
                    due.append(Self.alert((c.1, c.2, c.3, c.4, c.5, c.6, c.7, c.8, c.9, c.10, c.11, c.12, c.13, c.14, c.15), tenant: c.0))
                }
                for alert in due { try await Self.enqueue(alert: alert, event: "reminder", now: now, on: connection, logger: logger) }
                return due.count
            }
        } ?? 0
    }
}
