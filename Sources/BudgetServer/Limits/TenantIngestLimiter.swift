import BudgetStore
import Synchronization

/// Samples per second per tenant, in this process: the bound on one tenant's ingest that keeps it from
/// taking the machine from the others (the contract: "isolate noisy neighbors", "producers are rate-limited").
///
/// A token bucket counted in samples. A request is let in while the tenant's bucket is not in debt and then
/// pays for all its samples, which may put the bucket into debt: a batch larger than the burst is never refused
/// for its size alone, and the tenant's sustained rate still cannot exceed `rate`. While in debt the tenant's
/// requests are answered 429 with the seconds until the debt is paid, before their bodies are read.
/// Each replica limits on its own: with N replicas behind a balancer a tenant gets up to N times the rate.
///
/// A tenant may have a limit of its own (`PUT …/settings`, stored in `tenant_settings`), which replaces the
/// default for that tenant, also when the default is off. `TenantIngestLimitsService` reloads them.
public final class TenantIngestLimiter: Sendable {
    public struct Limit: Sendable, Equatable {
        /// Sustained samples per second per tenant; 0 disables the limit.
        public var rate: Double
        /// Samples a tenant may send at once after being idle.
        public var burst: Double

        public init(rate: Double, burst: Double) {
            self.rate = rate
            self.burst = burst
        }

        init(_ stored: IngestLimitOverride) {
            self.init(rate: stored.rate, burst: stored.burst)
        }
    }

    private let limit: Mutex<Limit>
    private let overrides = Mutex<[String: Limit]>([:])
    private let buckets = Mutex<[String: TokenBucket]>([:])

    /// The default limit in force (it can be changed while the service runs).
    public var current: Limit { limit.withLock { $0 } }

    /// The default's sustained samples per second per tenant; 0 disables the default.
    public var rate: Double { current.rate }

    /// The limit of `tenant`: its own, or the default.
    public func limit(for tenant: String) -> Limit {
        overrides.withLock { $0[tenant] } ?? current
    }

    /// Whether `tenant` has a limit of its own.
    public func hasOverride(_ tenant: String) -> Bool {
        overrides.withLock { $0[tenant] != nil }
    }

    /// Gives `tenant` a limit of its own, or with nil returns it to the default.
    public func setOverride(_ limit: IngestLimitOverride?, for tenant: String) {
        overrides.withLock { $0[tenant] = limit.map(Limit.init) }
    }

    /// Replaces every tenant's own limit (as reloaded from the database).
    public func replaceOverrides(_ limits: [String: IngestLimitOverride]) {
        overrides.withLock { $0 = limits.mapValues(Limit.init) }
    }

    public init(rate: Double, burst: Double) {
        limit = Mutex(Limit(rate: rate, burst: burst))
    }

    /// Changes the limit from now on (tenants keep what their buckets hold, up to the new burst).
    public func set(rate: Double, burst: Double) {
        limit.withLock { $0 = Limit(rate: rate, burst: burst) }
    }

    /// Nil when `tenant` may send now; otherwise the whole seconds until it may.
    func admit(tenant: String, now: ContinuousClock.Instant = .now) -> Int? {
        let limit = limit(for: tenant)
        guard limit.rate > 0 else { return nil }
        return buckets.withLock { buckets in
            let bucket = Self.refill(buckets[tenant], limit: limit, now: now)
            buckets[tenant] = bucket
            return bucket.tokens > 0 ? nil : bucket.secondsUntil(0, rate: limit.rate)
        }
    }

    /// Charges `tenant` for `samples` it sent.
    func charge(tenant: String, samples: Int, now: ContinuousClock.Instant = .now) {
        let limit = limit(for: tenant)
        guard limit.rate > 0 else { return }
        buckets.withLock { buckets in
            if buckets.count > 100_000 { buckets.removeAll(keepingCapacity: true) }  // bound memory under name floods
            var bucket = Self.refill(buckets[tenant], limit: limit, now: now)
            bucket.tokens -= Double(samples)
            buckets[tenant] = bucket
        }
    }

    private static func refill(_ bucket: TokenBucket?, limit: Limit, now: ContinuousClock.Instant) -> TokenBucket {
        var bucket = bucket ?? TokenBucket(full: limit.burst, at: now)
        bucket.refill(rate: limit.rate, burst: limit.burst, now: now)
        return bucket
    }
}
