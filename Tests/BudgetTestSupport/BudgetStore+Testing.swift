import BudgetStore
import PostgresNIO

extension BudgetStore {
    /// Runs this store's pool while `body` runs (for a store made by the test itself).
    public func whileRunning<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.run() }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    /// A single integer from a query a test uses to look at the stored data directly.
    public func count(_ query: PostgresQuery) async throws -> Int {
        let rows = try await client.query(query)
        for try await value in rows.decode(Int.self) { return value }
        return 0
    }
}
