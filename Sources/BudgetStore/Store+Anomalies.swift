import BudgetCore
import Foundation
import Logging
import PostgresNIO

/// Abnormal growth: every complete hour of every environment and service series goes through the streaming
/// detector once, in order; its state lives in `anomaly_series`, so a restart keeps the baselines.
extension BudgetStore {
    struct SeriesKey: Hashable, Comparable {
        var tenant: String
        var environment: String
        /// Empty for the whole environment.
        var service: String

        static func < (a: Self, b: Self) -> Bool { (a.tenant, a.environment, a.service) < (b.tenant, b.environment, b.service) }
    }

    /// Runs the detector over the hours completed since each series' last run (at most `maximumHours` per series
    /// per run); raises and resolves anomaly alerts. Returns the number of alerts raised.
    @discardableResult
    public func detectAnomalies(
        now: Timestamp, configuration: AnomalyConfiguration, grace: TimeSpan = .minutes(10), maximumHours: Int = 24 * 8
    ) async throws -> Int {
        try await exclusively(.anomalies) { [self] in
            let logger = self.logger
            let lastComplete = (now - grace).startOfHour - .hours(1)
            let lookback = lastComplete - .hours(Int64(maximumHours))
            let series: [SeriesKey: (state: AnomalyState?, lastHour: Timestamp?)] = try await withConnection { connection in
                var found: [SeriesKey: (AnomalyState?, Timestamp?)] = [:]
                let active = try await connection.query(
                    """
                    SELECT DISTINCT tenant_id, environment, service FROM cost_daily
                    WHERE day >= ((\(lookback)::timestamptz AT TIME ZONE 'UTC')::date)
                    """,
                    logger: logger
                )
                for try await (tenant, environment, service) in active.decode((String, String, String).self) {
                    found[SeriesKey(tenant: tenant, environment: environment, service: service)] = (nil, nil)
                    found[SeriesKey(tenant: tenant, environment: environment, service: "")] = (nil, nil)
                }
                let stored = try await connection.query("SELECT tenant_id, environment, service, state::text, last_hour FROM anomaly_series", logger: logger)
                for try await (tenant, environment, service, state, lastHour) in stored.decode((String, String, String, String, Timestamp).self) {
                    found[SeriesKey(tenant: tenant, environment: environment, service: service)] = (try? ConfigJSON.decode(AnomalyState.self, from: state), lastHour)
                }
                return found
            }
            var raised = 0
            for (key, stored) in series.sorted(by: { $0.key < $1.key }) {
                let from = stored.lastHour.map { max($0 + .hours(1), lookback) } ?? lookback
                guard from <= lastComplete else { continue }
                raised += try await transaction("anomalies") { connection in
                    try await Self.detect(
                        key, state: stored.state ?? AnomalyState(), from: from, through: lastComplete, isNew: stored.lastHour == nil,
                        configuration: configuration, now: now, on: connection, logger: logger
                    )
                }
            }
            return raised
        } ?? 0
    }

    static func detect(
        _ key: SeriesKey, state initial: AnomalyState, from: Timestamp, through: Timestamp, isNew: Bool, configuration: AnomalyConfiguration,
        now: Timestamp, on connection: PostgresConnection, logger: Logger
    ) async throws -> Int {
        // Hourly cost per component (service for an environment, resource for a service) from a day before `from`.
        let components = try await hourlyComponents(key, from: from - .hours(24), through: through, on: connection, logger: logger)
        var totals: [Timestamp: Double] = [:]
        for (hour, parts) in components { totals[hour] = parts.values.reduce(0, +) }
        // A new series starts at its first hour with cost, not at the end of the look-back.
        var hour = isNew ? (totals.filter { $0.key >= from && $0.value > 0 }.keys.min() ?? through + .hours(1)) : from
        var state = initial
        var raised = 0
        let dedupKey = "anomaly:\(key.environment):\(key.service.isEmpty ? "*" : key.service)"
        while hour <= through {
            let assessment = AnomalyDetector.observe((timestamp: hour, value: totals[hour] ?? 0), state: &state, configuration: configuration)
            switch assessment.transition {
            case .fired:
                let draft = anomalyAlert(key, assessment: assessment, components: components, dedupKey: dedupKey, configuration: configuration)
                if try await raiseAlert(tenant: key.tenant, draft, now: now, on: connection, logger: logger).isNew { raised += 1 }
            case .resolved:
                try await resolveAlert(tenant: key.tenant, dedupKey: dedupKey, now: now, on: connection, logger: logger)
            case nil:
                break
            }
            hour = hour + .hours(1)
        }
        try await connection.perform(
            """
            INSERT INTO anomaly_series (tenant_id, environment, service, state, last_hour, updated_at)
            VALUES (\(key.tenant), \(key.environment), \(key.service), \(try ConfigJSON.encode(state))::jsonb, \(through), now())
            ON CONFLICT (tenant_id, environment, service) DO UPDATE
            SET state = excluded.state, last_hour = excluded.last_hour, updated_at = excluded.updated_at
            """,
            logger: logger
        )
        return raised
    }

    static func hourlyComponents(
        _ key: SeriesKey, from: Timestamp, through: Timestamp, on connection: PostgresConnection, logger: Logger
    ) async throws -> [Timestamp: [String: Double]] {
        let rows = try await connection.query(
            """
            SELECT hour, CASE WHEN \(key.service) = '' THEN service ELSE resource END, sum(cost_nanos)::int8
            FROM cost_hourly
            WHERE tenant_id = \(key.tenant) AND environment = \(key.environment) AND (\(key.service) = '' OR service = \(key.service))
              AND hour >= \(from) AND hour <= \(through)
            GROUP BY 1, 2
            """,
            logger: logger
        )
        var components: [Timestamp: [String: Double]] = [:]
        for try await (hour, name, nanos) in rows.decode((Timestamp, String, Int64).self) {
            components[hour, default: [:]][name, default: 0] += Double(nanos) / 1e9
        }
        return components
    }

    /// The alert for an anomaly: expected versus actual, the impact, and what contributed most (each component's
    /// cost in the hour against its average over the previous 24 hours).
    static func anomalyAlert(
        _ key: SeriesKey, assessment: AnomalyAssessment, components: [Timestamp: [String: Double]], dedupKey: String, configuration: AnomalyConfiguration
    ) -> AlertDraft {
        let hour = assessment.timestamp
        var previous: [String: Double] = [:]
        for offset in 1...24 {
            for (name, value) in components[hour - .hours(Int64(offset))] ?? [:] { previous[name, default: 0] += value / 24 }
        }
        let current = components[hour] ?? [:]
        let names = Set(previous.keys).union(current.keys)
        let ranked = RootCause.rank(names.sorted().map { (name: $0, expected: previous[$0] ?? 0, actual: current[$0] ?? 0) }, limit: 3)
        let scope = key.service.isEmpty ? key.environment : "\(key.environment)/\(key.service)"
        let percent = assessment.impactPercent.map { String(format: "%+.0f %%", $0) } ?? "new"
        let contributors = ranked.map { String(format: "%@ %+.2f/h", $0.name, $0.delta) }.joined(separator: ", ")
        struct Details: Encodable {
            var expectedPerHour: String
            var actualPerHour: String
            var impactPerHour: String
            var impactPercent: Double?
            var since: Timestamp
            var contributors: [Contributor]

            struct Contributor: Encodable {
                var name: String
                var expected: Double
                var actual: Double
                var delta: Double
                var share: Double
            }

            enum CodingKeys: String, CodingKey {
                case since, contributors
                case expectedPerHour = "expected_per_hour"
                case actualPerHour = "actual_per_hour"
                case impactPerHour = "impact_per_hour"
                case impactPercent = "impact_percent"
            }
        }
        let details = Details(
            expectedPerHour: String(format: "%.4f", assessment.expected), actualPerHour: String(format: "%.4f", assessment.actual),
            impactPerHour: assessment.impactPerHour.decimalString, impactPercent: assessment.impactPercent, since: hour,
            contributors: ranked.map { .init(name: $0.name, expected: $0.expected, actual: $0.actual, delta: $0.delta, share: $0.shareOfGrowth) }
        )
        let severe = abs(assessment.impactPerHour.nanos) >= configuration.absoluteThreshold.nanos * 5
        return AlertDraft(
            dedupKey: dedupKey, kind: .anomaly, severity: severe ? .critical : .warning, environment: key.environment,
            service: key.service.isEmpty ? nil : key.service,
            summary: "abnormal cost \(assessment.openDirection == .down ? "decline" : "growth") in \(scope): \(String(format: "%.2f", assessment.actual))/h against \(String(format: "%.2f", assessment.expected))/h expected "
                + "(\(percent), \(assessment.impactPerHour.isNegative ? "" : "+")\(assessment.impactPerHour.decimalString)/h) since \(hour.rfc3339)" + (contributors.isEmpty ? "" : "; most of it: \(contributors)"),
            details: (try? ConfigJSON.encode(details)) ?? "{}"
        )
    }

    /// The environment series' detector state, for the status answer (learning or watching).
    public func anomalyState(tenant: String, environment: String) async throws -> AnomalyState? {
        let logger = self.logger
        return try await withConnection { connection in
            let rows = try await connection.query(
                "SELECT state::text FROM anomaly_series WHERE tenant_id = \(tenant) AND environment = \(environment) AND service = ''",
                logger: logger
            )
            for try await text in rows.decode(String.self) { return try? ConfigJSON.decode(AnomalyState.self, from: text) }
            return nil
        }
    }
}
