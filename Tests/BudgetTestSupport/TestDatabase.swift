import BudgetStore
import Foundation
import LocalPostgres
import Logging
import PostgresNIO

/// Fresh, migrated databases for tests, all on one PostgreSQL server per test process.
///
/// Without `DATABASE_URL` the server is a throwaway cluster started on first use and stopped
/// (and deleted) when the process ends — by LocalPostgres' exit hook, or its watchdog when the
/// process crashes or is killed. Each database is copied from a
/// migrated template (`CREATE DATABASE … TEMPLATE`), which takes milliseconds, so suites stay parallel.
public enum TestDatabase {
    /// A new empty database with the whole schema applied.
    public static func make() async throws -> DatabaseURL {
        try await TestServer.shared.makeDatabase()
    }

    /// A new database with the whole schema applied on `engine` (on Citus: distributed on a coordinator with two
    /// workers, see `CitusTestServer`).
    public static func make(engine: TestEngine) async throws -> DatabaseURL {
        switch engine {
        case .postgres: return try await TestServer.shared.makeDatabase()
        case .citus: return try await CitusTestServer.shared.makeDatabase()
        }
    }

    /// A new database with nothing in it (for migration tests).
    public static func makeEmpty() async throws -> DatabaseURL {
        try await TestServer.shared.makeDatabase(template: "template0")
    }

    /// A new database with no migration applied on `engine` (on Citus: the extension and the workers, nothing else).
    public static func makeEmpty(engine: TestEngine) async throws -> DatabaseURL {
        switch engine {
        case .postgres: return try await makeEmpty()
        case .citus: return try await CitusTestServer.shared.makeDatabase(migrate: false)
        }
    }

    /// Runs `body` with a running store on a fresh database with no migration applied: for tests of the
    /// migrations themselves.
    public static func withEmptyStore<T: Sendable>(
        maximumConnections: Int = 2,
        _ body: @Sendable (BudgetStore) async throws -> T
    ) async throws -> T {
        let store = BudgetStore(url: try await makeEmpty(), maximumConnections: maximumConnections, acquireTimeout: acquireTimeout, logger: testLogger)
        return try await store.whileRunning { try await body(store) }
    }

    /// Runs `body` with a running store on a fresh database.
    ///
    /// The whole suite runs at once on one server, so a test's pool is small and may wait longer for a
    /// connection than the service's 5 s default: a loaded CI machine is slow, not broken.
    public static func withStore<T: Sendable>(
        engine: TestEngine = .postgres,
        maximumConnections: Int = 4,
        _ body: @Sendable (BudgetStore) async throws -> T
    ) async throws -> T {
        let url = try await make(engine: engine)
        let store = BudgetStore(url: url, maximumConnections: maximumConnections, acquireTimeout: acquireTimeout, logger: testLogger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await store.run() }
            defer { group.cancelAll() }
            return try await body(store)
        }
    }

    /// How long a test's store waits for a connection before answering `unavailable`.
    public static let acquireTimeout: Duration = .seconds(30)

    /// The logger tests hand to the code under test (warnings and worse only, unless LOG_LEVEL says otherwise).
    public static var testLogger: Logger {
        var logger = Logger(label: "chartly.test")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .warning
        return logger
    }
}

/// The one server of this test process and its template database.
actor TestServer {
    static let shared = TestServer()

    private var server: DatabaseURL?
    private var cluster: LocalPostgresCluster?
    private var admin: PostgresClient?
    /// The one start-up, shared by every caller that arrives while it runs (the actor is reentrant at
    /// each `await`: without this, concurrent first callers would each start a cluster).
    private var starting: Task<(DatabaseURL, PostgresClient), any Error>?
    private var counter = 0
    private let pid = ProcessInfo.processInfo.processIdentifier

    private var templateName: String { "chartly_tpl_\(pid)" }

    func makeDatabase(template: String? = nil) async throws -> DatabaseURL {
        let (server, admin) = try await started()
        counter += 1
        let name = "chartly_t_\(pid)_\(counter)"
        try await Self.createDatabase(name, template: template ?? templateName, admin: admin)
        return server.with(database: name)
    }

    private func started() async throws -> (DatabaseURL, PostgresClient) {
        if let server, let admin { return (server, admin) }
        if let starting { return try await starting.value }
        let task = Task { try await self.start() }
        starting = task
        return try await task.value
    }

    private func start() async throws -> (DatabaseURL, PostgresClient) {
        let logger = TestDatabase.testLogger
        let url: DatabaseURL
        if let text = ProcessInfo.processInfo.environment["DATABASE_URL"], !text.isEmpty {
            url = try DatabaseURL(text)
        } else {
            var configuration = LocalPostgresConfiguration.ephemeral(prefix: "chartly-test")
            // Every test of the process connects at once, some through whole service processes.
            configuration.maximumConnections = 1000
            // Tests copy many databases: keep the throwaway cluster in memory when the machine has /dev/shm.
            if FileManager.default.isWritableFile(atPath: "/dev/shm") {
                configuration.dataDirectory = "/dev/shm/" + URL(fileURLWithPath: configuration.dataDirectory).lastPathComponent
            }
            let cluster = LocalPostgresCluster(configuration: configuration, logger: logger)
            let info = try await cluster.start()
            self.cluster = cluster
            url = DatabaseURL(host: info.host, port: info.port, username: info.username, password: info.password, database: info.database)
        }
        let admin = PostgresClient(configuration: url.clientConfiguration(maximumConnections: 4), backgroundLogger: logger)
        Task.detached { await admin.run() }
        try await Self.dropStaleDatabases(admin: admin)
        try await Self.createDatabase(templateName, template: "template0", admin: admin)
        let templateStore = BudgetStore(url: url.with(database: templateName), maximumConnections: 1, acquireTimeout: TestDatabase.acquireTimeout, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await templateStore.run() }
            try await Migrator(store: templateStore).migrate()
            group.cancelAll()
        }
        self.server = url
        self.admin = admin
        return (url, admin)
    }

    /// Creates a database, waiting out the moments the template still has a closing connection.
    static func createDatabase(_ name: String, template: String, admin: PostgresClient) async throws {
        var attempt = 0
        while true {
            do {
                try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \"\(name)\" TEMPLATE \"\(template)\""))
                return
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "55006" && attempt < 100 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// Removes test databases left by earlier test processes that are no longer running (external servers only).
    static func dropStaleDatabases(admin: PostgresClient) async throws {
        let rows = try await admin.query("SELECT datname FROM pg_database WHERE datname LIKE 'chartly\\_t%'")
        var stale: [String] = []
        for try await name in rows.decode(String.self) {
            let parts = name.split(separator: "_")
            guard parts.count >= 3, let owner = Int32(parts[2]), kill(owner, 0) != 0 else { continue }
            stale.append(name)
        }
        for name in stale {
            _ = try? await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)"))
        }
    }
}
