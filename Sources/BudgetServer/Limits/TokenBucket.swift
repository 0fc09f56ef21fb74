/// A token bucket's state: the tokens it holds (negative while in debt) and when it was last refilled.
/// Shared by the per-token request limit and the per-tenant ingest limit.
struct TokenBucket {
    var tokens: Double
    var updated: ContinuousClock.Instant

    /// A full bucket: a key seen for the first time may send its burst.
    init(full burst: Double, at now: ContinuousClock.Instant) {
        tokens = burst
        updated = now
    }

    /// Adds what `rate` tokens per second earned since the last refill, up to `burst`.
    mutating func refill(rate: Double, burst: Double, now: ContinuousClock.Instant) {
        let elapsed = now - updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = min(burst, tokens + max(0, seconds) * rate)
        updated = now
    }

    /// Whole seconds (at least 1) until the bucket holds `needed` tokens at `rate` per second: a Retry-After.
    func secondsUntil(_ needed: Double, rate: Double) -> Int {
        max(1, Int(((needed - tokens) / rate).rounded(.up)))
    }
}
