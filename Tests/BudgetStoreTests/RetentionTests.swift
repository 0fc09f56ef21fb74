import BudgetCore
import BudgetStore
import BudgetTestSupport
import PostgresNIO
import Testing

/// Per-tenant partitions, the look-ahead job and retention by whole partitions.
// Ten minutes: on Citus a test first waits for its own database, set up and distributed after the others'.
@Suite("Partitions and retention", .timeLimit(.minutes(10)))
struct RetentionTests {
    static let admin = Principal(id: "test", name: "test", scopes: [.admin])
    static let now = Timestamp(year: 2026, month: 11, day: 29, hour: 12)!

    /// One 10-minute sample at noon of each of the `days` days before `now`.
    static func dailySamples(days: Int, service: String = "api") -> [UsageSample] {
        (1...days).map { back in
            let start = now.startOfDay - .days(Int64(back)) + .hours(12)
            return UsageSample(environment: "prod", service: service, resource: .cpuCores, quantity: 6, start: start, end: start + .minutes(10))
        }
    }

    static func prepare(_ store: BudgetStore, tenants: [String]) async throws {
        for tenant in tenants {
            _ = try await store.putRateCard(
                tenant: tenant, effectiveFrom: Timestamp(year: 2026, month: 1, day: 1)!, currency: Currency("USD")!,
                prices: [.cpuCores: Price(decimalString: "0.06")!], actor: admin
            )
        }
    }

    static func dailyTotal(_ store: BudgetStore, tenant: String) async throws -> Int {
        try await store.count("SELECT coalesce(sum(cost_nanos), 0)::int8 FROM cost_daily WHERE tenant_id = \(tenant)")
    }

    @Test("every tenant's data lives in its own partitions: a day per raw partition, a month per hourly one", arguments: TestEngine.available)
    func partitionsPerTenant(engine: TestEngine) async throws {
        try await TestDatabase.withStore(engine: engine) { store in
            try await Self.prepare(store, tenants: ["acme", "globex"])
            _ = try await store.ingest(tenant: "acme", samples: Self.dailySamples(days: 3))
            _ = try await store.ingest(tenant: "globex", samples: Self.dailySamples(days: 1))
            let acme = try await store.partitionNames(tenant: "acme")
            #expect(acme.filter { $0.parent == "usage_samples" }.map(\.lower) == (1...3).reversed().map { Self.now.startOfDay - .days(Int64($0)) })
            #expect(acme.filter { $0.parent == "cost_hourly" }.map(\.lower) == [Self.now.startOfMonth])
            #expect(acme.filter { $0.parent == "cost_environment_hourly" }.count == 1)
            let globex = try await store.partitionNames(tenant: "globex")
            #expect(globex.filter { $0.parent == "usage_samples" }.count == 1)
            #expect(Set(acme.map(\.name)).isDisjoint(with: globex.map(\.name)))
            // Each tenant's rows are in its own tables: acme's partition holds none of globex's rows.
            let acmeTable = try #require(acme.first { $0.parent == "usage_samples" }?.name)
            #expect(try await store.count(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \"\(acmeTable)\" WHERE tenant_id <> 'acme'")) == 0)
        }
    }

    @Test("the look-ahead job creates the next days' partitions for every tenant, once", arguments: TestEngine.available)
    func lookAhead(engine: TestEngine) async throws {
        try await TestDatabase.withStore(engine: engine) { store in
            try await Self.prepare(store, tenants: ["acme"])
            _ = try await store.ingest(tenant: "acme", samples: Self.dailySamples(days: 1))
            let created = try await store.createPartitionsAhead(now: Self.now, days: 2)
            #expect(created == 3)  // today, tomorrow, the day after
            let days = try await store.partitionNames(tenant: "acme").filter { $0.parent == "usage_samples" }.map(\.lower)
            #expect(days.contains(Self.now.startOfDay + .days(2)))
            #expect(try await store.createPartitionsAhead(now: Self.now, days: 2) == 0)
        }
    }

    @Test("raw retention drops whole day partitions of that tenant only; costs stay; older samples are then refused", arguments: TestEngine.available)
    func rawRetention(engine: TestEngine) async throws {
        try await TestDatabase.withStore(engine: engine) { store in
            try await Self.prepare(store, tenants: ["acme", "globex"])
            _ = try await store.ingest(tenant: "acme", samples: Self.dailySamples(days: 20))
            _ = try await store.ingest(tenant: "globex", samples: Self.dailySamples(days: 20))
            let acmeCost = try await Self.dailyTotal(store, tenant: "acme")
            _ = try await store.setRetention(tenant: "acme", retention: RetentionPolicy(rawDays: 10, hourlyMonths: 3), actor: Self.admin)

            let report = try await store.applyRetention(now: Self.now)
            // Kept: today and the 9 days before it; of the 20 sampled days (1...20 back), days 10...20 go.
            #expect(report.dropped.filter { $0.parent == "usage_samples" }.count == 11)
            #expect(report.dropped.allSatisfy { $0.tenant == "acme" })
            #expect(try await store.count("SELECT count(*) FROM usage_samples WHERE tenant_id = 'acme'") == 9)
            #expect(try await store.count("SELECT count(*) FROM usage_samples WHERE tenant_id = 'globex'") == 20)
            #expect(try await Self.dailyTotal(store, tenant: "acme") == acmeCost, "the cost of dropped samples stays in the rollups")
            #expect(try await store.maintenanceLastRun(job: "retention") == Self.now)

            // A late copy of a dropped sample would be counted twice: refused, naming the sample.
            let old = Self.dailySamples(days: 15)
            await #expect(throws: StoreError.self) { _ = try await store.ingest(tenant: "acme", samples: [old[1], old[14]]) }
            do {
                _ = try await store.ingest(tenant: "acme", samples: [old[1], old[14]])
            } catch let error as StoreError {
                #expect(error.code == "retention_expired")
                #expect(error.field == "samples[1].start")
            }
            // Within retention: still deduplicated as before.
            #expect(try await store.ingest(tenant: "acme", samples: [old[1]]) == IngestResult(accepted: 0, duplicates: 1))
            // Running again drops nothing more.
            #expect(try await store.applyRetention(now: Self.now).dropped.isEmpty)
        }
    }

    @Test("hourly rollups older than their retention are dropped by month; daily totals are untouched", arguments: TestEngine.available)
    func hourlyRetention(engine: TestEngine) async throws {
        try await TestDatabase.withStore(engine: engine) { store in
            try await Self.prepare(store, tenants: ["acme"])
            _ = try await store.setRetention(tenant: "acme", retention: RetentionPolicy(rawDays: 90, hourlyMonths: 1), actor: Self.admin)
            _ = try await store.ingest(tenant: "acme", samples: Self.dailySamples(days: 45))
            let daily = try await Self.dailyTotal(store, tenant: "acme")
            let report = try await store.applyRetention(now: Self.now)
            #expect(report.dropped.filter { $0.parent == "cost_hourly" }.count == 1)
            #expect(report.dropped.filter { $0.parent == "cost_environment_hourly" }.count == 1)
            #expect(try await store.count("SELECT count(*) FROM cost_hourly WHERE tenant_id = 'acme' AND hour < \(Self.now.startOfMonth)") == 0)
            #expect(try await store.count("SELECT count(*) FROM cost_hourly WHERE tenant_id = 'acme'") == 28)
            #expect(try await Self.dailyTotal(store, tenant: "acme") == daily)
            // Raw samples of October are still kept (90 days), but their hourly month is gone: refused too.
            await #expect(throws: StoreError.self) {
                _ = try await store.ingest(tenant: "acme", samples: [UsageSample(
                    environment: "prod", service: "new", resource: .cpuCores, quantity: 1,
                    start: Self.now.startOfMonth - .days(3), end: Self.now.startOfMonth - .days(3) + .minutes(1)
                )])
            }
        }
    }

    @Test("two replicas running retention at once drop each partition once, while ingest goes on", arguments: TestEngine.available)
    func concurrentRetention(engine: TestEngine) async throws {
        try await TestDatabase.withStore(engine: engine, maximumConnections: 8) { store in
            try await Self.prepare(store, tenants: ["acme"])
            _ = try await store.setRetention(tenant: "acme", retention: RetentionPolicy(rawDays: 5, hourlyMonths: 3), actor: Self.admin)
            _ = try await store.ingest(tenant: "acme", samples: Self.dailySamples(days: 30))
            let reports = try await withThrowingTaskGroup(of: RetentionReport?.self) { group in
                group.addTask { try await store.applyRetention(now: Self.now) }
                group.addTask { try await store.applyRetention(now: Self.now) }
                group.addTask {
                    // Ingest into today's partition meanwhile.
                    for minute in 0..<20 {
                        let start = Self.now.startOfHour + .minutes(Int64(minute))
                        _ = try await store.ingest(tenant: "acme", samples: [UsageSample(
                            environment: "prod", service: "live", resource: .cpuCores, quantity: 1, start: start, end: start + .minutes(1)
                        )])
                    }
                    return nil
                }
                var reports: [RetentionReport] = []
                do {
                    for try await report in group { if let report { reports.append(report) } }
                } catch {
                    Issue.record("\(String(reflecting: error))")
                    throw error
                }
                return reports
            }
            let dropped = reports.flatMap(\.dropped).map(\.name)
            #expect(dropped.count == Set(dropped).count, "no partition dropped twice")
            #expect(Set(dropped).count == 26)  // days 5...30 back
            #expect(try await store.count("SELECT count(*) FROM usage_samples WHERE tenant_id = 'acme' AND service = 'api'") == 4)
            #expect(try await store.count("SELECT count(*) FROM usage_samples WHERE tenant_id = 'acme' AND service = 'live'") == 20)
        }
    }
}
