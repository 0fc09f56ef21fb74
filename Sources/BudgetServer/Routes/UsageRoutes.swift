import BudgetCore
import BudgetStore
import Hummingbird

/// `POST /v1/tenants/{tenant}/usage`: takes samples in and answers once they are committed.
struct UsageRoutes {
    let store: BudgetStore
    let configuration: ServerConfiguration
    let limiter: ConcurrencyLimiter
    let tenantLimiter: TenantIngestLimiter
    let metrics: BudgetMetrics

    /// A rate as operators set it: `50000`, `0.5`.
    static func describe(_ rate: Double) -> String {
        rate == rate.rounded() && abs(rate) < 1e15 ? String(Int64(rate)) : String(rate)
    }

    func register(on routes: RouteRegistry) {
        routes.add(.post, "/v1/tenants/{tenant}/usage") { request, context in
            let tenant = try context.tenant()
            _ = try context.require(.ingest, on: tenant)
            let format = try UsagePayload.format(of: request.headers[.contentType])
            if let retryAfter = tenantLimiter.admit(tenant: tenant) {
                metrics.recordIngestThrottled(tenant: tenant)
                throw APIError(
                    .tooManyRequests, code: "tenant_ingest_rate",
                    message: "tenant \(tenant) is over its ingest rate of \(Self.describe(tenantLimiter.limit(for: tenant).rate)) samples per second; retry after \(retryAfter) s",
                    retryAfter: retryAfter
                )
            }
            let answer = try await limiter.withSlot {
                metrics.setQueueDepth("ingest_in_flight", limiter.current)
                defer { metrics.setQueueDepth("ingest_in_flight", limiter.current - 1) }
                let body = try await request.body.collect(upTo: configuration.maximumBodyBytes)
                let payload = try UsagePayload(body: body, format: format, maximumSamples: configuration.maximumSamplesPerRequest)
                tenantLimiter.charge(tenant: tenant, samples: payload.samples.count)
                return try await store.ingest(tenant: tenant, samples: payload.samples)
            }
            guard let answer else {
                throw APIError(
                    .serviceUnavailable, code: "ingest_saturated",
                    message: "\(limiter.limit) ingest requests are already in flight; retry shortly", retryAfter: 1
                )
            }
            metrics.recordIngest(tenant: tenant, accepted: answer.accepted, duplicates: answer.duplicates)
            return try JSONResponse(answer).response
        }
    }
}

extension BudgetRequestContext {
    /// The `{tenant}` path parameter, checked against the naming rule.
    func tenant() throws -> String {
        guard let tenant = parameters.get("tenant"), PartitionKey.isValid(tenant) else {
            throw APIError.invalidName("tenant")
        }
        return tenant
    }
}
