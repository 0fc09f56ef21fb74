import BudgetCore
import Foundation
import Logging
import PostgresNIO

/// The remote-write status of a tenant: `GET /v1/tenants/{t}/prometheus/status`.
public struct PrometheusStatus: Sendable, Codable, Equatable {
    public struct Rule: Sendable, Codable, Equatable {
        public var rule: String
        public var metric: String
        public var match: [String: String]
        public var resource: String
        public var counter: Bool
        public var series: Int
        public var openSeries: Int
        public var lastSampleAt: Timestamp?

        enum CodingKeys: String, CodingKey {
            case rule, metric, match, resource, counter, series
            case openSeries = "open_series"
            case lastSampleAt = "last_sample_at"
        }
    }

    public struct Dropped: Sendable, Codable, Equatable {
        public var metric: String
        public var reason: String
        public var samples: Int64
        public var lastAt: Timestamp

        enum CodingKeys: String, CodingKey {
            case metric, reason, samples
            case lastAt = "last_at"
        }
    }

    public var tenant: String
    public var mappings: [String]
    public var lastWriteAt: Timestamp?
    public var lastSampleAt: Timestamp?
    public var writes: Int64
    public var samples: Int64
    public var resent: Int64
    public var dropped: Int64
    public var rules: [Rule]
    public var topDropped: [Dropped]

    enum CodingKeys: String, CodingKey {
        case tenant, mappings, writes, samples, resent, dropped, rules
        case lastWriteAt = "last_write_at"
        case lastSampleAt = "last_sample_at"
        case topDropped = "top_dropped"
    }
}

extension BudgetStore {
    /// The tenant's remote-write status: mappings, series per rule, the last write and the top dropped metrics.
    public func prometheusStatus(tenant: String) async throws -> PrometheusStatus {
        let mappings = try await configs(PrometheusMapping.self, tenant: tenant).sorted { $0.name < $1.name }
        let logger = self.logger
        return try await withConnection { connection in
            var status = PrometheusStatus(
                tenant: tenant, mappings: mappings.map(\.name), lastWriteAt: nil, lastSampleAt: nil, writes: 0, samples: 0, resent: 0, dropped: 0,
                rules: [], topDropped: []
            )
            let writes = try await connection.query(
                "SELECT last_write_at, last_sample_at, writes, samples, resent, dropped FROM prometheus_writes WHERE tenant_id = \(tenant)",
                logger: logger
            )
            for try await (lastWrite, lastSample, count, samples, resent, dropped) in writes.decode((Timestamp, Timestamp?, Int64, Int64, Int64, Int64).self) {
                status.lastWriteAt = lastWrite
                status.lastSampleAt = lastSample
                status.writes = count
                status.samples = samples
                status.resent = resent
                status.dropped = dropped
            }
            var perRule: [String: (series: Int, open: Int, last: Timestamp?)] = [:]
            let series = try await connection.query(
                """
                SELECT rule, count(*)::int8, count(*) FILTER (WHERE NOT ended)::int8, max(last_at)
                FROM prometheus_series WHERE tenant_id = \(tenant) GROUP BY rule
                """,
                logger: logger
            )
            for try await (rule, count, open, last) in series.decode((String, Int64, Int64, Timestamp?).self) {
                perRule[rule] = (Int(count), Int(open), last)
            }
            for mapping in mappings {
                for (index, rule) in mapping.series.enumerated() {
                    let name = "\(mapping.name)/\(index)"
                    let seen = perRule[name]
                    status.rules.append(
                        .init(
                            rule: name, metric: rule.metric, match: rule.match ?? [:], resource: rule.resource.rawValue, counter: rule.counter ?? false,
                            series: seen?.series ?? 0, openSeries: seen?.open ?? 0, lastSampleAt: seen?.last
                        )
                    )
                }
            }
            let dropped = try await connection.query(
                """
                SELECT metric, reason, samples, last_at FROM prometheus_dropped WHERE tenant_id = \(tenant)
                ORDER BY samples DESC, metric, reason LIMIT 20
                """,
                logger: logger
            )
            for try await (metric, reason, samples, last) in dropped.decode((String, String, Int64, Timestamp).self) {
                status.topDropped.append(.init(metric: metric, reason: reason, samples: samples, lastAt: last))
            }
            return status
        }
    }
}
