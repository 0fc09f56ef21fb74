import BudgetCore
import BudgetStore
import BudgetTestSupport
import PostgresNIO
import Testing

// Ten minutes: on Citus a test first waits for its own database, set up and distributed after the others'.
@Suite("Usage ingest", .timeLimit(.minutes(10)))
struct UsageIngestTests {
    @Test("a sample sent twice is stored once and reported as a duplicate", arguments: TestEngine.available)
    func idempotentIngest(engine: TestEngine) async throws {
        try await TestDatabase.withStore(engine: engine) { store in
            let batch = (0..<50).map { sample(minute: $0) }
            let first = try await store.ingest(tenant: "acme", samples: batch)
            #expect(first == IngestResult(accepted: 50, duplicates: 0))
            let second = try await store.ingest(tenant: "acme", samples: batch)
            #expect(second == IngestResult(accepted: 0, duplicates: 50))
            #expect(try await store.count("SELECT count(*) FROM usage_samples WHERE tenant_id = 'acme'") == 50)
        }
    }

    @Test("the same identity for another tenant is another sample", arguments: TestEngine.available)
    func tenantsAreSeparate(engine: TestEngine) async throws {
        try await TestDatabase.withStore(engine: engine) { store in
            let batch = (0..<5).map { sample(minute: $0) }
            _ = try await store.ingest(tenant: "acme", samples: batch)
            let other = try await store.ingest(tenant: "globex", samples: batch)
            #expect(other.accepted == 5)
        }
    }

    @Test("a sample repeated inside one request counts once", arguments: TestEngine.available)
    func repeatedWithinRequest(engine: TestEngine) async throws {
        try await TestDatabase.withStore(engine: engine) { store in
            let one = sample(minute: 1)
            let result = try await store.ingest(tenant: "acme", samples: [one, sample(minute: 2), one])
            #expect(result == IngestResult(accepted: 2, duplicates: 1))
        }
    }

    @Test("a stored sample sent with another quantity is a conflict and nothing of the request is stored", arguments: TestEngine.available)
    func conflictWritesNothing(engine: TestEngine) async throws {
        try await TestDatabase.withStore(engine: engine) { store in
            _ = try await store.ingest(tenant: "acme", samples: [sample(minute: 1)])
            let changed = sample(minute: 1, quantity: 3)
            let error = await #expect(throws: StoreError.self) {
                try await store.ingest(tenant: "acme", samples: [sample(minute: 5), sample(minute: 6), changed])
            }
            #expect(error?.kind == .conflict)
            #expect(error?.field == "samples[2]")
            #expect(error?.message.contains("prod/api/cpu_cores") == true)
            #expect(try await store.count("SELECT count(*) FROM usage_samples") == 1)
            #expect(try await store.count("SELECT count(*) FROM usage_samples WHERE quantity = 3") == 0)
        }
    }

    @Test("a stored sample sent with another end is a conflict", arguments: TestEngine.available)
    func conflictOnEnd(engine: TestEngine) async throws {
        try await TestDatabase.withStore(engine: engine) { store in
            let original = sample(minute: 1)
            _ = try await store.ingest(tenant: "acme", samples: [original])
            var longer = original
            longer.end = Timestamp(microsecondsSinceEpoch: original.end.microsecondsSinceEpoch + 1_000_000)
            await #expect(throws: StoreError.self) { try await store.ingest(tenant: "acme", samples: [longer]) }
        }
    }

    @Test("two different values for one identity in a request are refused atomically", arguments: TestEngine.available)
    func conflictWithinRequest(engine: TestEngine) async throws {
        try await TestDatabase.withStore(engine: engine) { store in
            let error = await #expect(throws: StoreError.self) {
                try await store.ingest(tenant: "acme", samples: [sample(minute: 1), sample(minute: 2), sample(minute: 1, quantity: 9)])
            }
            #expect(error?.field == "samples[2]")
            let stored = try await store.count("SELECT count(*) FROM usage_samples")
            #expect(stored == 0)
        }
    }

    @Test("samples over several days land in their daily partitions", arguments: TestEngine.available)
    func dailyPartitions(engine: TestEngine) async throws {
        try await TestDatabase.withStore(engine: engine) { store in
            let batch = (0..<4).map { day in sample(minute: Int64(day) * 1440) }
            _ = try await store.ingest(tenant: "acme", samples: batch)
            let partitions = try await store.count(
                "SELECT count(DISTINCT tableoid) FROM usage_samples"
            )
            #expect(partitions == 4)
        }
    }

    @Test("8 concurrent writers of overlapping batches lose nothing and count nothing twice", arguments: TestEngine.available)
    func concurrentOverlappingBatches(engine: TestEngine) async throws {
        try await TestDatabase.withStore(engine: engine, maximumConnections: 8) { store in
            // Writer w sends minutes [w*50, w*50+200): each minute is sent by up to four writers.
            let results = try await withThrowingTaskGroup(of: IngestResult.self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        let batch = (Int64(writer * 50)..<Int64(writer * 50 + 200)).flatMap { minute in
                            [sample(service: "api", minute: minute), sample(service: "web", minute: minute)]
                        }
                        return try await store.ingest(tenant: "acme", samples: batch.shuffled())
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let distinct = (0..<(7 * 50 + 200)).count * 2
            #expect(results.map(\.accepted).reduce(0, +) == distinct)
            #expect(results.map { $0.accepted + $0.duplicates }.reduce(0, +) == 8 * 400)
            #expect(try await store.count("SELECT count(*) FROM usage_samples") == distinct)
        }
    }
}
