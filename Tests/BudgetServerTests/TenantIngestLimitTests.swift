import BudgetCore
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

    @Test("a tenant's own limit replaces the default for it alone, also when the default is off; nil returns it to the default")
    func ownLimit() {
        let limiter = TenantIngestLimiter(rate: 0, burst: 1)
        let now = ContinuousClock.now
        limiter.setOverride(.init(rate: 10, burst: 10), for: "noisy")
        limiter.charge(tenant: "noisy", samples: 40, now: now)
        #expect(limiter.admit(tenant: "noisy", now: now) == 3)  // 30 owed at 10 per second
        limiter.charge(tenant: "quiet", samples: 1_000_000, now: now)
        #expect(limiter.admit(tenant: "quiet", now: now) == nil)  // the default is off
        limiter.setOverride(nil, for: "noisy")
        #expect(limiter.admit(tenant: "noisy", now: now) == nil)
        #expect(!limiter.hasOverride("noisy"))
    }

    struct LimitAnswer: Decodable, Equatable {
        var ingest_samples_per_second: Double
        var ingest_burst_samples: Double?
        var ingest_limit_is_default: Bool
    }

    @Test("PUT …/settings sets a tenant's own ingest limit: it is enforced, shown, audited, reloaded by other replicas, and null undoes it")
    func ownLimitThroughTheAPI() async throws {
        var configuration = ServerConfiguration()
        configuration.tenantIngest = TenantIngestLimiter(rate: 50_000, burst: 100_000)
        try await TestApp.fresh(configuration: configuration).test { client, store in
            #expect(
                try await client.send(.get, "/v1/tenants/acme/settings").decode(LimitAnswer.self)
                    == LimitAnswer(ingest_samples_per_second: 50_000, ingest_burst_samples: 100_000, ingest_limit_is_default: true)
            )
            // So slow that no refill happens however long the test takes.
            let set = try await client.send(.put, "/v1/tenants/acme/settings", body: #"{"ingest_samples_per_second":0.01,"ingest_burst_samples":2}"#)
            #expect(set.status == .ok)
            #expect(try set.decode(LimitAnswer.self) == LimitAnswer(ingest_samples_per_second: 0.01, ingest_burst_samples: 2, ingest_limit_is_default: false))

            let three = #"{"samples":[\#(sampleJSON(minute: 0)),\#(sampleJSON(minute: 1)),\#(sampleJSON(minute: 2))]}"#
            #expect(try await client.postJSON("/v1/tenants/acme/usage", three).status == .ok)
            let refused = try await client.postJSON("/v1/tenants/acme/usage", #"{"samples":[\#(sampleJSON(minute: 3))]}"#)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.json?.error.message.contains("0.01 samples per second") == true)
            // Another tenant keeps the service's limit.
            #expect(try await client.postJSON("/v1/tenants/globex/usage", three).status == .ok)
            let audit = try await store.count("SELECT count(*) FROM audit_log WHERE tenant_id = 'acme' AND action = 'ingest_limit.update'")
            #expect(audit == 1)

            // Another replica of the service learns it on its next reload.
            let replica = TenantIngestLimiter(rate: 50_000, burst: 100_000)
            try await TenantIngestLimitsService(store: store, limiter: replica, logger: TestDatabase.testLogger).refresh()
            #expect(replica.limit(for: "acme") == .init(rate: 0.01, burst: 2))
            #expect(replica.limit(for: "globex") == .init(rate: 50_000, burst: 100_000))

            // Bad values name the field and change nothing, the billing period in the same PUT included.
            for (body, field) in [
                (#"{"ingest_samples_per_second":0,"period_start_day":5}"#, "ingest_samples_per_second"),
                (#"{"ingest_samples_per_second":-3}"#, "ingest_samples_per_second"),
                (#"{"ingest_samples_per_second":100,"ingest_burst_samples":0.5}"#, "ingest_burst_samples"),
                (#"{"ingest_samples_per_second":null,"ingest_burst_samples":10}"#, "ingest_burst_samples"),
                (#"{"ingest_samples_per_second":"fast"}"#, "ingest_samples_per_second"),
            ] {
                let bad = try await client.send(.put, "/v1/tenants/acme/settings", body: body)
                // A burst while the rate goes back to null contradicts itself: 422.
                #expect(bad.status == (body.contains(#""ingest_samples_per_second":null"#) ? .unprocessableContent : .badRequest), "\(body)")
                #expect(bad.json?.error.field == field, "\(body): \(bad.text)")
            }
            #expect(try await store.billingPeriod(tenant: "acme").startDay == 1)
            #expect(try await store.ingestLimitOverride(tenant: "acme") == IngestLimitOverride(rate: 0.01, burst: 2))

            // A rate alone gets two seconds of it as its burst.
            let rateOnly = try await client.send(.put, "/v1/tenants/acme/settings", body: #"{"ingest_samples_per_second":500}"#)
            #expect(try rateOnly.decode(LimitAnswer.self) == LimitAnswer(ingest_samples_per_second: 500, ingest_burst_samples: 1_000, ingest_limit_is_default: false))

            // A burst alone keeps the stored rate, also one set through another replica since this one's last reload.
            let actor = Principal(id: "other-replica", name: "other", scopes: [.admin])
            _ = try await store.setIngestLimitOverride(tenant: "acme", IngestLimitOverride(rate: 700, burst: 1_400), actor: actor)
            let burstOnly = try await client.send(.put, "/v1/tenants/acme/settings", body: #"{"ingest_burst_samples":5000}"#)
            #expect(try burstOnly.decode(LimitAnswer.self) == LimitAnswer(ingest_samples_per_second: 700, ingest_burst_samples: 5_000, ingest_limit_is_default: false))

            let reset = try await client.send(.put, "/v1/tenants/acme/settings", body: #"{"ingest_samples_per_second":null}"#)
            #expect(try reset.decode(LimitAnswer.self) == LimitAnswer(ingest_samples_per_second: 50_000, ingest_burst_samples: 100_000, ingest_limit_is_default: true))
            #expect(try await store.ingestLimitOverride(tenant: "acme") == nil)
            try await TenantIngestLimitsService(store: store, limiter: replica, logger: TestDatabase.testLogger).refresh()
            #expect(!replica.hasOverride("acme"))
        }
    }
}
