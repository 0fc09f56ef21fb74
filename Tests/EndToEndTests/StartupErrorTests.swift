import BudgetStore
import BudgetTestSupport
import Foundation
import PostgresNIO
import Testing

/// A start-up that fails says what the database said and where: the file, its message and SQLSTATE, and the
/// statement (PostgresNIO's own text for a database error is a deliberately generic sentence).
@Suite("Start-up and migration failures name the database's message and the statement", .timeLimit(.minutes(3)))
struct StartupErrorTests {
    /// A database where migration 004 cannot create `caps`: a table of that name is already there.
    static func blockedDatabase() async throws -> DatabaseURL {
        let url = try await TestDatabase.makeEmpty()
        let store = BudgetStore(url: url, maximumConnections: 1, acquireTimeout: TestDatabase.acquireTimeout, logger: TestDatabase.testLogger)
        try await store.whileRunning {
            try await store.client.withConnection { connection in
                _ = try await connection.query("CREATE TABLE caps (unrelated integer)", logger: TestDatabase.testLogger)
            }
        }
        return url
    }

    @Test("migrate prints the failing file, the database's message with its SQLSTATE, and the statement; exit 1")
    func migrateFailure() async throws {
        let url = try await Self.blockedDatabase()
        let result = try await ChartlyBinary.run(["migrate", "--database-url", url.urlString])
        #expect(result.status == 1)
        let output = result.stdout + result.stderr
        #expect(output.contains("004_decisions.sql"), "\(output)")
        #expect(output.contains(#"relation "caps" already exists (SQLSTATE 42P07)"#), "\(output)")
        #expect(output.contains("statement: CREATE TABLE caps"), "\(output)")
        #expect(!output.contains("Generic description"), "\(output)")
    }

    @Test("serve stops at start-up with the same explanation")
    func serveFailure() async throws {
        let url = try await Self.blockedDatabase()
        let result = try await ChartlyBinary.run(
            ["serve", "--database-url", url.urlString, "--port", "\(try freeStablePort())"],
            environment: ["CHARTLY_ADMIN_TOKEN": "startup-error-test-token-0123456789"]
        )
        #expect(result.status != 0)
        let output = result.stdout + result.stderr
        #expect(output.contains(#"relation "caps" already exists (SQLSTATE 42P07)"#), "\(output)")
        #expect(output.contains("statement: CREATE TABLE caps"), "\(output)")
    }
}
