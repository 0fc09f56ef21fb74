@testable import BudgetStore
import BudgetTestSupport
import PostgresNIO
import Testing

/// The wait for a pooled connection is bounded; a caller that gave up never takes a connection later.
@Suite("Leasing a connection", .timeLimit(.minutes(2)))
struct ConnectionLeaseTests {
    @Test("with the pool's only connection held, a caller gets unavailable after the acquire timeout; the pool then serves again")
    func acquireTimeout() async throws {
        let url = try await TestDatabase.make()
        let store = BudgetStore(url: url, maximumConnections: 1, acquireTimeout: .seconds(1), logger: TestDatabase.testLogger)
        try await store.whileRunning {
            // Opening the pool's one connection may itself take longer than the timeout on a loaded machine: open it
            // first, so that the holder below leases it at once.
            var opened = false
            for _ in 0..<100 where !opened {
                opened = (try? await store.withConnection { connection in
                    try await connection.perform("SELECT 1", logger: TestDatabase.testLogger)
                }) != nil
            }
            try #require(opened)
            let (release, releaseSignal) = AsyncStream<Void>.makeStream()
            let (held, heldSignal) = AsyncStream<Void>.makeStream()
            let holder = Task {
                defer { heldSignal.finish() }
                try await store.withConnection { connection in
                    heldSignal.yield()
                    for await _ in release { break }
                    try await connection.perform("SELECT 1", logger: TestDatabase.testLogger)
                }
            }
            for await _ in held { break }

            let started = ContinuousClock.now
            let error = await #expect(throws: StoreError.self) {
                try await store.withConnection { connection in
                    try await connection.perform("SELECT 1", logger: TestDatabase.testLogger)
                }
            }
            let waited = ContinuousClock.now - started
            #expect(error?.kind == .unavailable)
            #expect(error?.message.contains("no database connection within") == true)
            // Bounded by the timeout, with room for a slow machine.
            #expect(waited >= .seconds(1) && waited < .seconds(10))

            // The caller that gave up left the pool's queue: released, the connection serves the next caller.
            releaseSignal.finish()
            try await holder.value
            let answer = try await store.withConnection { connection -> Int in
                for try await value in try await connection.query("SELECT 42", logger: TestDatabase.testLogger).decode(Int.self) {
                    return value
                }
                return 0
            }
            #expect(answer == 42)
        }
    }
}
