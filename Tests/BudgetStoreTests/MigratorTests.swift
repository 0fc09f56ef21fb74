import BudgetSchema
import BudgetStore
import BudgetTestSupport
import PostgresNIO
import Testing

@Suite("Migrations", .timeLimit(.minutes(2)))
struct MigratorTests {
    @Test("every migration is applied once, in order, and recorded")
    func appliesOnce() async throws {
        try await TestDatabase.withEmptyStore { store in
            let migrator = try Migrator(store: store)
            let first = try await migrator.migrate()
            #expect(first == migrator.migrations.map(\.name))
            #expect(try await migrator.migrate().isEmpty)
            #expect(try await store.appliedMigrationVersion() == migrator.latestVersion)
            #expect(try await store.count("SELECT count(*) FROM schema_migrations") == migrator.migrations.count)
        }
    }

    @Test("replicas migrating at the same moment apply each file once")
    func concurrentReplicas() async throws {
        let url = try await TestDatabase.makeEmpty()
        let applied = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let store = BudgetStore(url: url, maximumConnections: 1, acquireTimeout: TestDatabase.acquireTimeout, logger: TestDatabase.testLogger)
                    return try await store.whileRunning { try await Migrator(store: store).migrate() }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let all = try BudgetSchema.migrations().map(\.name)
        #expect(applied.sorted() == all.sorted())
    }

    @Test("a failing migration rolls back, names its file and the database's message")
    func failingMigration() async throws {
        try await TestDatabase.withEmptyStore(maximumConnections: 1) { store in
            var migrations = try BudgetSchema.migrations()
            migrations.append(.init(version: 999, name: "999_broken.sql", sql: "CREATE TABLE half_done (tenant_id text); SELECT 1/0;"))
            let error = await #expect(throws: MigrationError.self) { try await Migrator(store: store, migrations: migrations).migrate() }
            #expect(error?.file == "999_broken.sql")
            #expect(error?.message.contains("division by zero (SQLSTATE 22012)") == true, "\(String(describing: error))")
            #expect(error?.message.contains("statement: SELECT 1/0") == true, "\(String(describing: error))")
            #expect(try await store.count("SELECT count(*) FROM pg_tables WHERE tablename = 'half_done'") == 0)
            #expect(try await store.appliedMigrationVersion() == migrations[migrations.count - 2].version)
        }
    }

    @Test("every table leads with tenant_id, except the migration ledger")
    func tablesLeadWithTenant() async throws {
        try await TestDatabase.withStore { store in
            let rows = try await store.client.query(
                """
                SELECT c.relname, a.attname
                FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace
                JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = 1
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
                  AND c.relname <> 'schema_migrations'
                """
            )
            var tables = 0
            for try await (table, firstColumn) in rows.decode((String, String).self) {
                tables += 1
                #expect(firstColumn == "tenant_id", "table \(table) starts with \(firstColumn)")
            }
            #expect(tables > 0)
        }
    }
}

@Suite("A database that cannot be reached", .timeLimit(.minutes(2)))
struct UnreachableDatabaseTests {
    @Test("a role the server refuses: the error gives the server's reason, not only that no connection came")
    func unknownRole() async throws {
        var url = try await TestDatabase.makeEmpty()
        url.username = "no_such_role"
        url.password = "not-the-password"
        let store = BudgetStore(url: url, maximumConnections: 1, acquireTimeout: .seconds(2), logger: TestDatabase.testLogger)
        try await store.whileRunning {
            let error = await #expect(throws: StoreError.self) { try await store.appliedMigrationVersion() }
            // (With password authentication the server does not say whether the role exists.)
            #expect(error?.message.contains(#"password authentication failed for user "no_such_role""#) == true, "\(String(describing: error))")
        }
    }
}
