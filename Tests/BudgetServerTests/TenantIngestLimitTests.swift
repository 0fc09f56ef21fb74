import BudgetServer
import BudgetStore
import BudgetTestSupport
import Foundation
import HTTPTypes
import Testing

@testable import BudgetServer

@Suite("Per-tenant ingest rate", .timeLimit(.minutes(2)))
struct TenantIngestLimitTests {
    @Test("a tenant may send its burst, then pays for every sample; the debt sets Retry-After; tenants are separate")
    func bucket() {
        let limiter = TenantIngestLimiter(rate: 100, burst: 200)
        let start = ContinuousClock.now
        #expect(limiter.admit(tenant: "a", now: start) == nil)
        limiter.charge(tenant: "a", samples: 500, now: start)  // larger than the burst: admitted, 300 samples in debt
        #expect(limiter.admit(tenant: "a", now: start) == 3)  // 300 / 100 per second
        #expect(limiter.admit(tenant: "b", now: start) == nil)
        #expect(limiter.admit(tenant: "a", now: start + .seconds(2)) == 1)  // 100 still owed
        #expect(limiter.admit(tenant: "a", now: start + .milliseconds(3_010)) == nil)
        // Idle time refills up to the burst, no further.
        limiter.charge(tenant: "a", samples: 200, now: start + .seconds(60))
        #expect(limiter.admit(tenant: "a", now: start + .seconds(60)) == 1)
    }

    @Test("a rate of 0 disables the limit, and the limit can be changed while running")
    func disabledAndChanged() {
        let limiter = TenantIngestLimiter(rate: 0, burst: 1)
        let now = ContinuousClock.now
        limiter.charge(tenant: "a", samples: 1_000_000, now: now)
        #expect(limiter.admit(tenant: "a", now: now) == nil)
        limiter.set(rate: 10, burst: 10)
        limiter.charge(tenant: "a", samples: 30, now: now)
        #expect(limiter.admit(tenant: "a", now: now) == 2)
    }

    @Test("over its rate a tenant gets 429 tenant_ingest_rate with Retry-After, nothing of it is stored, and others ingest")
    func throughTheAPI() async throws {
        var configuration = ServerConfiguration()
        // So slow that no refill happens however long the test takes: 1 sample per 100 s.
        configuration.tenantIngest = TenantIngestLimiter(rate: 0.01, burst: 2)
        try await TestApp.fresh(configuration: configuration).test { client, store in
            let three = #"{"samples":[\#(sampleJSON(minute: 0)),\#(sampleJSON(minute: 1)),\#(sampleJSON(minute: 2))]}"#
            let first = try await client.postJSON("/v1/tenants/acme/usage", three)
            #expect(first.status == .ok)  // within the burst when it arrived; now one sample in debt
            let refused = try await client.postJSON("/v1/tenants/acme/usage", #"{"samples":[\#(sampleJSON(minute: 3))]}"#)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.json?.error.code == "tenant_ingest_rate")
            #expect(refused.json?.error.message.contains("0.01 samples per second") == true)
            #expect((Int(refused.headers[.retryAfter] ?? "") ?? 0) > 50)  // one sample owed at 0.01 per second: ~100 s
            #expect(try await store.count("SELECT count(*) FROM usage_samples WHERE tenant_id = 'acme'") == 3)
            let other = try await client.postJSON("/v1/tenants/globex/usage", #"{"samples":[\#(sampleJSON(minute: 3))]}"#)
            #expect(other.status == .ok)
            let metrics = try await client.send(.get, "/metrics")
            #expect(metrics.text.contains(#"ingest_requests_throttled_total{tenant="acme"} 1"#))
        }
    }
}
