import BudgetCore
import BudgetSchema
import BudgetStore
import BudgetTestSupport
import Foundation
import PostgresNIO
import Testing

/// The schema on a Citus coordinator with two workers: distributed by `migrate` itself, idempotently, also onto a
/// database that already holds data. (The same ingest, cost, decision, alert, retention and apply tests as on one
/// PostgreSQL run on Citus through their `engine` argument.)
@Suite(
    "The schema on Citus", .timeLimit(.minutes(10)),
    .enabled(if: CitusTestServer.isInstalled || CitusTestServer.isRequired, Comment(rawValue: CitusTestServer.notInstalledMessage))
)
struct CitusSchemaTests {
    typealias S = DecisionSetup

    static func withCitusStore<T: Sendable>(_ body: @Sendable (BudgetStore) async throws -> T) async throws -> T {
        try await TestDatabase.withStore(engine: .citus, body)
    }

    @Test("every tenant-keyed table is distributed by tenant_id in one co-location group; tokens and maintenance runs are reference tables")
    func distributed() async throws {
        try await Self.withCitusStore { store in
            #expect(try await store.engine().isCitus)
            let layout = try #require(try await store.citusLayout())
            #expect(layout.workers.count == 2)
            #expect(layout.version.hasPrefix("13.2"))
            let keyed = layout.tables.filter(\.tenantKeyed)
            #expect(keyed.count >= 20)
            for table in keyed where !["api_tokens", "maintenance_runs"].contains(table.name) {
                #expect(table.kind == "distributed", "\(table.name) is \(table.kind)")
                #expect(table.distributionColumn == "tenant_id", "\(table.name)")
            }
            #expect(layout.undistributedTenantTables.isEmpty)
            #expect(layout.colocated)
            #expect(Set(layout.tables.filter { $0.kind == "reference" }.map(\.name)) == ["api_tokens", "maintenance_runs"])
            #expect(layout.tables.filter { $0.kind == "local" }.map(\.name) == ["schema_migrations"])
            // Functions the triggers and the decision path run exist on the workers too.
            let functions = try await store.count(
                """
                SELECT count(*)::int8 FROM pg_proc p JOIN pg_catalog.pg_dist_object o ON o.classid = 'pg_proc'::regclass AND o.objid = p.oid
                WHERE p.proname IN ('chartly_begin_decision', 'chartly_lock_environment', 'chartly_new_config_generation', 'chartly_audit_log_is_append_only')
                """
            )
            #expect(functions == 5)  // chartly_begin_decision has two signatures
        }
    }

    @Test("rows of several tenants sit in shards on both workers, each tenant's on one")
    func rowsOnBothWorkers() async throws {
        let nodes = try await CitusTestServer.shared.started()
        try await Self.withCitusStore { store in
            let tenants = (0..<8).map { "tenant-\($0)" }
            for (index, tenant) in tenants.enumerated() {
                let samples = (0..<Int64(index + 1)).map { sample(minute: $0) }
                #expect(try await store.ingest(tenant: tenant, samples: samples).accepted == index + 1)
            }
            var workersUsed: Set<String> = []
            for (index, tenant) in tenants.enumerated() {
                let node = try #require(try await store.citusNode(tenant: tenant))
                workersUsed.insert(node)
                let shard = try await store.count("SELECT get_shard_id_for_distribution_column('usage_samples', \(tenant))")
                // Read the shard on its worker directly, not through the coordinator.
                let worker = try #require(nodes.first { "\($0.host):\($0.port)" == node })
                let onWorker = try await Self.count(
                    "SELECT count(*)::int8 FROM usage_samples_\(shard) WHERE tenant_id = '\(tenant)'", on: worker.with(database: store.url.database)
                )
                #expect(onWorker == index + 1, "\(tenant) on \(node)")
                // The coordinator holds no rows of its own.
                #expect(try await store.count("SELECT count(*)::int8 FROM ONLY usage_samples") == 0)
            }
            #expect(workersUsed.count == 2, "tenants landed on \(workersUsed.sorted())")
            let nodeNames = Set(nodes.dropFirst().map { "\($0.host):\($0.port)" })
            #expect(workersUsed == nodeNames)
        }
    }

    @Test("migrate again changes nothing: no migration, nothing distributed anew")
    func migrateTwice() async throws {
        try await Self.withCitusStore { store in
            let before = try #require(try await store.citusLayout())
            let applied = try await Migrator(store: store).migrate()
            #expect(applied.isEmpty)
            #expect(try await store.citusLayout() == before)
        }
    }

    @Test("a database with data moves onto Citus with migrate: everything stays, duplicates are still duplicates, decisions replay")
    func distributeExistingData() async throws {
        let url = try await CitusTestServer.shared.makeDatabase(migrate: false, workers: false)
        let samples = (0..<120).map { sample(minute: $0) }
        let logger = TestDatabase.testLogger
        // On one server (the extension installed, no worker yet): migrated, configured, used.
        let (decisionID, costBefore): (UUID, Int) = try await {
            let store = BudgetStore(url: url, maximumConnections: 4, acquireTimeout: TestDatabase.acquireTimeout, logger: logger)
            return try await store.whileRunning {
                let applied = try await Migrator(store: store).migrate()
                #expect(applied.count == BudgetSchemaCount.migrations)
                #expect(try await store.citusLayout() == nil)
                #expect(try await store.engine() == .postgres)
                try await S.prepare(store)
                #expect(try await store.ingest(tenant: "acme", samples: samples).accepted == 120)
                let decision = try await store.decide(tenant: "acme", request: S.request("before", to: 5), now: S.now)
                let cost = try await store.count("SELECT sum(cost_nanos)::int8 FROM cost_daily WHERE tenant_id = 'acme'")
                return (decision.id, cost)
            }
        }()
        try await CitusTestServer.shared.addWorkers(database: url.database)
        let store = BudgetStore(url: url, maximumConnections: 4, acquireTimeout: TestDatabase.acquireTimeout, logger: logger)
        try await store.whileRunning {
            #expect(try await Migrator(store: store).migrate().isEmpty)
            let layout = try #require(try await store.citusLayout())
            #expect(layout.undistributedTenantTables.isEmpty)
            #expect(try await store.engine().isCitus)
            #expect(try await store.count("SELECT count(*)::int8 FROM usage_samples WHERE tenant_id = 'acme'") == 120)
            #expect(try await store.count("SELECT count(*)::int8 FROM ONLY usage_samples") == 0)
            #expect(try await store.count("SELECT sum(cost_nanos)::int8 FROM cost_daily WHERE tenant_id = 'acme'") == costBefore)
            #expect(try await store.ingest(tenant: "acme", samples: samples) == IngestResult(accepted: 0, duplicates: 120))
            let stored = try await store.decision(tenant: "acme", id: decisionID)
            #expect(try stored.replay().identical)
            let after = try await store.decide(tenant: "acme", request: S.request("after", to: 6), now: S.now + .seconds(5))
            #expect(after.result.outcome == .allow)
        }
    }

    static func count(_ sql: String, on url: DatabaseURL) async throws -> Int {
        let connection = try await PostgresConnection.connect(
            configuration: .init(host: url.host, port: url.port, username: url.username, password: url.password, database: url.database, tls: .disable),
            id: 2, logger: TestDatabase.testLogger
        )
        defer { Task { try? await connection.close() } }
        for try await value in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.testLogger).decode(Int64.self) {
            return Int(value)
        }
        return 0
    }
}

/// How many migrations the binary ships.
enum BudgetSchemaCount {
    static var migrations: Int { (try? BudgetSchema.migrations().count) ?? 0 }
}
