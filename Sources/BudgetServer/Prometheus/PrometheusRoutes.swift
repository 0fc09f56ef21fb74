import BudgetCore
import BudgetStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PrometheusWire
import Synchronization

/// Prometheus remote write in: `POST /v1/tenants/{tenant}/prometheus/write` (remote write 1.0) and its status.
///
/// Answers `204` only once the samples are committed. What cannot be decoded or breaks the specification is
/// `400` (Prometheus does not retry a 4xx); overload and a database outage are `429`/`503` with `Retry-After`
/// (it retries those, and its re-sent samples are not counted twice).
struct PrometheusRoutes {
    let store: BudgetStore
    let configuration: ServerConfiguration
    let limiter: ConcurrencyLimiter
    let tenantLimiter: TenantIngestLimiter
    let metrics: BudgetMetrics
    let closer = StaleSeriesCloser()

    func register(on routes: RouteRegistry) {
        routes.add(.post, "/v1/tenants/{tenant}/prometheus/write") { request, context in
            let tenant = try context.tenant()
            _ = try context.require(.ingest, on: tenant)
            try Self.checkHeaders(request.headers)
            if let retryAfter = tenantLimiter.admit(tenant: tenant) {
                metrics.recordIngestThrottled(tenant: tenant)
                throw APIError(
                    .tooManyRequests, code: "tenant_ingest_rate",
                    message: "tenant \(tenant) is over its ingest rate of \(UsageRoutes.describe(tenantLimiter.limit(for: tenant).rate)) samples per second; retry after \(retryAfter) s",
                    retryAfter: retryAfter
                )
            }
            let written = try await limiter.withSlot {
                metrics.setQueueDepth("ingest_in_flight", limiter.current)
                defer { metrics.setQueueDepth("ingest_in_flight", limiter.current - 1) }
                let body = try await request.body.collect(upTo: configuration.maximumBodyBytes)
                let series: [RemoteWrite.Series]
                do {
                    series = try RemoteWrite.decode(Array(buffer: body), maximumUncompressedBytes: configuration.maximumRemoteWriteBytes)
                } catch let error as RemoteWrite.Invalid {
                    throw APIError(.badRequest, code: "invalid_remote_write", message: error.message, field: "body")
                }
                let count = series.reduce(0) { $0 + $1.samples.count + $1.histograms }
                guard count <= configuration.maximumSamplesPerRequest else {
                    throw APIError(
                        .badRequest, code: "too_many_samples",
                        message: "at most \(configuration.maximumSamplesPerRequest) samples per request (got \(count)); lower queue_config.max_samples_per_send",
                        field: "body"
                    )
                }
                tenantLimiter.charge(tenant: tenant, samples: count)
                let rules = PrometheusRules(mappings: try await store.configs(PrometheusMapping.self, tenant: tenant))
                let (mapped, dropped) = rules.map(series)
                let now = Timestamp.now()
                let result = try await store.ingestPrometheus(tenant: tenant, series: mapped, dropped: dropped, now: now)
                var reasons: [String: Int] = [:]
                for (key, value) in dropped { reasons[key.reason, default: 0] += value }
                metrics.recordPrometheusWrite(tenant: tenant, samples: result.samples, resent: result.resent, dropped: reasons)
                return mapped.lazy.compactMap { $0.samples.last?.timestamp }.max()
            }
            guard let written else {
                throw APIError(
                    .serviceUnavailable, code: "ingest_saturated",
                    message: "\(limiter.limit) ingest requests are already in flight; retry shortly", retryAfter: 1
                )
            }
            if let newest = written { await closer.closeIfDue(tenant: tenant, newest: newest, store: store, logger: context.logger) }
            return Response(status: .noContent)
        }

        routes.add(.get, "/v1/tenants/{tenant}/prometheus/status") { _, context in
            let tenant = try context.tenant()
            _ = try context.require(.read, on: tenant)
            return try JSONResponse(try await store.prometheusStatus(tenant: tenant)).response
        }
    }

    /// What remote write 1.0 requires of a request's headers; a wrong one is a `400` naming it.
    static func checkHeaders(_ headers: HTTPFields) throws {
        let contentType = headers[.contentType].map { $0.split(separator: ";").first.map(String.init) ?? $0 }?
            .trimmingCharacters(in: .whitespaces).lowercased()
        guard contentType == RemoteWrite.contentType else {
            throw APIError(
                .badRequest, code: "invalid_content_type",
                message: "Content-Type must be \(RemoteWrite.contentType) (remote write 1.0), not \(contentType ?? "missing")", field: "Content-Type"
            )
        }
        let encoding = headers[.contentEncoding]?.trimmingCharacters(in: .whitespaces).lowercased()
        guard encoding == RemoteWrite.contentEncoding else {
            throw APIError(
                .badRequest, code: "invalid_content_encoding",
                message: "Content-Encoding must be snappy (remote write 1.0), not \(encoding ?? "missing")", field: "Content-Encoding"
            )
        }
        if let version = HTTPField.Name(RemoteWrite.versionHeader).flatMap({ headers[$0] }), !version.hasPrefix("0.1.") {
            throw APIError(
                .badRequest, code: "unsupported_remote_write_version",
                message: "\(RemoteWrite.versionHeader) \(version) is not supported: this receiver speaks remote write 1.0 (0.1.0)",
                field: RemoteWrite.versionHeader
            )
        }
    }
}

/// Counts the last sample of series that stopped without a staleness marker, at most every 30 seconds per tenant
/// (after a write, in its request: a replica that writes also closes).
final class StaleSeriesCloser: Sendable {
    private let lastRun = Mutex<[String: ContinuousClock.Instant]>([:])

    func closeIfDue(tenant: String, newest: Int64, store: BudgetStore, logger: Logger) async {
        let now = ContinuousClock.now
        let due = lastRun.withLock { runs in
            if let last = runs[tenant], now - last < .seconds(30) { return false }
            runs[tenant] = now
            return true
        }
        guard due else { return }
        do {
            _ = try await store.closeStalePrometheusSeries(tenant: tenant, newest: newest)
        } catch {
            logger.warning("closing stale Prometheus series failed; the next write tries again", metadata: ["tenant": "\(tenant)", "error": "\(error)"])
            lastRun.withLock { $0[tenant] = nil }
        }
    }
}
