import Foundation
import Synchronization

/// Token buckets per key (a token id, or a client address for failed authentications), in this process.
///
/// Each replica limits on its own: with N replicas behind a balancer a token gets up to N times the rate.
public final class RateLimiter: Sendable {
    public struct Limit: Sendable {
        /// Sustained requests per second.
        public var rate: Double
        /// Requests allowed in a burst.
        public var burst: Double

        public init(rate: Double, burst: Double) {
            self.rate = rate
            self.burst = burst
        }
    }

    let perToken: Limit
    let failures: Limit
    private let buckets = Mutex<[String: TokenBucket]>([:])
    private let failureBuckets = Mutex<[String: TokenBucket]>([:])

    public init(perToken: Limit, failures: Limit = Limit(rate: 2, burst: 20)) {
        self.perToken = perToken
        self.failures = failures
    }

    /// Takes one request from `key`'s bucket; nil when allowed, else the seconds to wait.
    func take(key: String) -> Int? {
        Self.take(key: key, limit: perToken, from: buckets)
    }

    func takeFailure(key: String) -> Int? {
        Self.take(key: key, limit: failures, from: failureBuckets)
    }

    private static func take(key: String, limit: Limit, from buckets: borrowing Mutex<[String: TokenBucket]>) -> Int? {
        guard limit.rate > 0 else { return nil }
        let now = ContinuousClock.now
        return buckets.withLock { buckets in
            if buckets.count > 100_000 { buckets.removeAll(keepingCapacity: true) }  // bound memory under address floods
            var bucket = buckets[key] ?? TokenBucket(full: limit.burst, at: now)
            bucket.refill(rate: limit.rate, burst: limit.burst, now: now)
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                buckets[key] = bucket
                return nil
            }
            buckets[key] = bucket
            return bucket.secondsUntil(1, rate: limit.rate)
        }
    }
}
