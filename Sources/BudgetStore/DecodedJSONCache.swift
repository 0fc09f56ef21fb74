import BudgetCore
import Synchronization

/// Documents decoded before, by their exact JSON text.
///
/// Every decision reads its environment's policy, caps, budgets and rate cards as JSON and decoded them
/// anew: a few per cent of the service's CPU at eight clients (`perf record` of `bench --only decide`). The
/// text is the key, so a changed document is a new entry and nothing can be stale; the cache is emptied
/// when it reaches `capacity` entries.
final class DecodedJSONCache<Value: Sendable>: Sendable {
    private let entries = Mutex<[String: Value]>([:])
    private let capacity: Int

    init(capacity: Int = 1_024) {
        self.capacity = capacity
    }

    func value(for text: String, decode: (String) throws -> Value) throws -> Value {
        if let cached = entries.withLock({ $0[text] }) { return cached }
        let value = try decode(text)
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[text] = value
        }
        return value
    }
}

/// The decision path's caches.
enum DecisionConfigCache {
    static let policies = DecodedJSONCache<ScalingPolicy>()
    static let caps = DecodedJSONCache<[Cap]>()
    static let budgets = DecodedJSONCache<[Budget]>()
    static let rateCards = DecodedJSONCache<RateCardHistory>()
}
