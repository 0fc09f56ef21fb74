import BudgetStore

extension BudgetStore {
    /// Runs the store's connection pool for the duration of `body` (for one-shot commands).
    func whileRunning<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.run() }
            defer { group.cancelAll() }
            return try await body()
        }
    }
}
