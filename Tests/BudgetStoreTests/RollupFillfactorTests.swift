import BudgetCore
import BudgetSchema
import BudgetStore
import BudgetTestSupport
import PostgresNIO
import Testing

/// Rollup rows are updated by every ingest of their hour or day; their pages keep room so those updates stay on
/// the row's own page (migration 019).
@Suite("Rollup pages keep room for updates on PostgreSQL", .timeLimit(.minutes(3)))
struct RollupFillfactorTests {
    static let hour = Timestamp(year: 2026, month: 11, day: 28, hour: 10)!

    /// One one-minute sample of each of `services` services, `minute` minutes into `hour`.
    static func minute(_ minute: Int64, services: Int) -> [UsageSample] {
        (0..<services).map { index in
            let start = hour + .minutes(minute)
            return UsageSample(environment: "prod", service: "svc-\(index)", resource: .cpuCores, quantity: 2, start: start, end: start + .minutes(1))
        }
    }

    /// The `fillfactor` a table was given, or nil for the default (100).
    static func fillfactor(_ store: BudgetStore, table: String) async throws -> Int? {
        let rows = try await store.client.query(
            "SELECT substring(option FROM 'fillfactor=(\\d+)')::int4 FROM pg_class, unnest(reloptions) AS option WHERE oid = \(table)::regclass AND option LIKE 'fillfactor=%'"
        )
        for try await value in rows.decode(Int.self) { return value }
        return nil
    }

    /// The block each hourly rollup row of acme is on, by service.
    static func blocks(_ store: BudgetStore) async throws -> [String: Int] {
        let rows = try await store.client.query(
            "SELECT service, (ctid::text::point)[0]::int4 FROM cost_hourly WHERE tenant_id = 'acme' AND hour = \(hour)"
        )
        var result: [String: Int] = [:]
        for try await (service, block) in rows.decode((String, Int).self) { result[service] = block }
        return result
    }

    @Test("an hour's rollup rows, added to by a later ingest of the same hour, mostly stay on their own pages")
    func updatesStayOnTheirPages() async throws {
        try await TestDatabase.withStore { store in
            try await RetentionTests.prepare(store, tenants: ["acme"])
            _ = try await store.ingest(tenant: "acme", samples: Self.minute(0, services: 600))
            let before = try await Self.blocks(store)
            #expect(before.count == 600)
            let oneMinute = try await store.count("SELECT sum(cost_nanos)::int8 FROM cost_hourly WHERE tenant_id = 'acme'")
            #expect(oneMinute > 0)
            _ = try await store.ingest(tenant: "acme", samples: Self.minute(1, services: 600))
            let after = try await Self.blocks(store)
            #expect(after.count == 600)
            let stayed = before.filter { after[$0.key] == $0.value }.count
            // 264 of 600 stay with fillfactor 70 (all of a page's rows are updated in one transaction, so not every
            // new version fits beside its old one); none stayed with the pages filled to the brim (fillfactor 100).
            #expect(stayed * 3 >= before.count, "only \(stayed) of \(before.count) rows were updated on their own page")
            // Each row was added to, not written again: the hour now holds both minutes' cost.
            #expect(try await store.count("SELECT sum(cost_nanos)::int8 FROM cost_hourly WHERE tenant_id = 'acme'") == 2 * oneMinute)
            #expect(try await store.count("SELECT count(*) FROM cost_hourly WHERE tenant_id = 'acme'") == 600)
        }
    }

    @Test("new monthly partitions of the hourly rollups and both daily tables are filled to 70 %; raw samples are not")
    func newPartitions() async throws {
        try await TestDatabase.withStore { store in
            try await RetentionTests.prepare(store, tenants: ["acme"])
            _ = try await store.ingest(tenant: "acme", samples: Self.minute(0, services: 1))
            let partitions = try await store.partitionNames(tenant: "acme")
            for parent in ["cost_hourly", "cost_environment_hourly"] {
                let name = try #require(partitions.first { $0.parent == parent }?.name)
                #expect(try await Self.fillfactor(store, table: name) == 70, "\(name)")
            }
            let raw = try #require(partitions.first { $0.parent == "usage_samples" }?.name)
            #expect(try await Self.fillfactor(store, table: raw) == nil, "\(raw)")
            #expect(try await Self.fillfactor(store, table: "cost_daily") == 70)
            #expect(try await Self.fillfactor(store, table: "cost_environment_daily") == 70)
        }
    }

    @Test("migration 019 gives the hourly partitions made before it room too")
    func existingPartitions() async throws {
        try await TestDatabase.withEmptyStore { store in
            let all = try BudgetSchema.migrations()
            _ = try await Migrator(store: store, migrations: all.filter { $0.version < 19 }).migrate()
            try await RetentionTests.prepare(store, tenants: ["acme"])
            _ = try await store.ingest(tenant: "acme", samples: Self.minute(0, services: 1))
            let hourly = try #require(try await store.partitionNames(tenant: "acme").first { $0.parent == "cost_hourly" }?.name)
            #expect(try await Self.fillfactor(store, table: hourly) == nil)
            _ = try await Migrator(store: store, migrations: all).migrate()
            #expect(try await Self.fillfactor(store, table: hourly) == 70)
            for partition in try await store.partitionNames(tenant: "acme") where partition.parent != "usage_samples" {
                #expect(try await Self.fillfactor(store, table: partition.name) == 70, "\(partition.name)")
            }
        }
    }
}
