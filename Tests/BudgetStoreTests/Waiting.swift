@testable import BudgetStore
import BudgetTestSupport
import Foundation
import PostgresNIO

/// Helpers for tests that wait on concurrent work.
enum Waiting {
    /// Polls `condition` every 20 ms for up to `seconds`.
    static func eventually(seconds: Double = 30, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }

    /// Another replica's transaction on `holder` locks acme's `prod` row until `release` ends; returns once it
    /// holds the row. The task ends when that transaction has committed.
    static func holdProdRow(_ holder: BudgetStore, until release: AsyncStream<Void>) async -> Task<Void, any Error> {
        let (held, heldSignal) = AsyncStream<Void>.makeStream()
        let logger = TestDatabase.testLogger
        let task = Task {
            try await holder.client.withConnection { connection in
                try await connection.perform("BEGIN", logger: logger)
                try await connection.perform(
                    "SELECT 1 FROM environment_state WHERE tenant_id = 'acme' AND environment = 'prod' FOR UPDATE", logger: logger
                )
                heldSignal.yield()
                for await _ in release { break }
                try await connection.perform("COMMIT", logger: logger)
            }
        }
        for await _ in held { break }
        return task
    }

    struct Released: Error {}

    /// A transaction of acme's decisions (a scale-up of `environment` when `scaleUp`) that runs until `release`
    /// ends and then fails, writing nothing: it holds one of acme's transaction slots, and with `scaleUp` the
    /// environment's line. Returns once it runs.
    static func holdTransaction(
        _ store: BudgetStore, environment: String = "~", scaleUp: Bool = false, until release: AsyncStream<Void>
    ) async -> Task<Void, any Error> {
        let (started, startedSignal) = AsyncStream<Void>.makeStream()
        let holder = Task {
            do {
                _ = try await store.decisions.submit(tenant: "acme", environment: environment, service: "~", scaleUp: scaleUp, store: store) { _, _ in
                    startedSignal.yield()
                    for await _ in release { break }
                    throw Released()
                }
            } catch is Released {}
        }
        for await _ in started { break }
        return holder
    }
}
