import BudgetStore
import Foundation
import LocalPostgres
import Logging
import PostgresNIO

/// The database engine a test runs on.
public enum TestEngine: String, Sendable, CaseIterable, CustomStringConvertible {
    /// One PostgreSQL server (the throwaway cluster of `TestDatabase`).
    case postgres
    /// A Citus coordinator with two workers, each a throwaway cluster on loopback.
    case citus

    public var description: String { rawValue }

    /// The engines this machine can run: Citus too when it is installed, and always in CI, where a missing
    /// Citus must fail the Citus tests rather than skip them.
    public static var available: [TestEngine] {
        CitusTestServer.isInstalled || CitusTestServer.isRequired ? [.postgres, .citus] : [.postgres]
    }
}

/// A local Citus cluster for the tests: a coordinator and two workers, started on first use and stopped (and
/// deleted) when the test process ends, like the single server of `TestDatabase`.
///
/// Citus keeps a database's distributed metadata and its shards in that database on every node, so a test
/// database cannot be copied from a template: each is created on the three nodes, given the extension and the
/// workers, and migrated (`Migrator` distributes the schema itself).
public actor CitusTestServer {
    public static let shared = CitusTestServer()

    /// Why the Citus tests cannot run here, naming the script that fixes it.
    public static let notInstalledMessage =
        "Citus is not installed for the local PostgreSQL: run ../shared/scripts/install-citus (builds Citus 13.2.2, about a minute)"

    /// Whether `citus.so` is installed for a PostgreSQL server on this machine.
    public static var isInstalled: Bool {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.contains { FileManager.default.fileExists(atPath: "\(root)/\($0)/lib/citus.so") }
    }

    /// In CI (`CI=true`) the Citus tests must run, never skip.
    public static var isRequired: Bool {
        ProcessInfo.processInfo.environment["CI"].map { $0 == "true" || $0 == "1" } ?? false
    }

    public struct Node: Sendable {
        public var url: DatabaseURL
        public var cluster: LocalPostgresCluster
    }

    private var nodes: [Node]?
    private var starting: Task<[Node], any Error>?
    private var counter = 0
    private let pid = ProcessInfo.processInfo.processIdentifier
    /// One password for the chartly role on every node, which the nodes use to reach each other.
    private let password = UUID().uuidString

    /// The coordinator first, then the two workers.
    public func started() async throws -> [Node] {
        if let nodes { return nodes }
        if let starting { return try await starting.value }
        let task = Task { try await self.start() }
        starting = task
        return try await task.value
    }

    /// A new database on the cluster with the schema applied and distributed; its URL is the coordinator's.
    ///
    /// With `workers: false` the database has the extension but no worker yet, as a single-node database that is
    /// about to move onto Citus (`addWorkers` then adds them); it is migrated only when `migrate` is true.
    public func makeDatabase(migrate: Bool = true, workers: Bool = true) async throws -> DatabaseURL {
        let nodes = try await started()
        counter += 1
        let name = "chartly_c_\(pid)_\(counter)"
        // One database set up at a time: adding nodes to several new databases at once makes Citus fail some of
        // them ("failure on connection marked as essential").
        let previous = setupTail
        let task = Task { [password] in
            _ = await previous?.result
            try await Self.setUp(name: name, nodes: nodes, password: password, workers: workers, migrate: migrate)
        }
        setupTail = task
        try await task.value
        return nodes[0].url.with(database: name)
    }

    private var setupTail: Task<Void, any Error>?

    /// Adds the two workers to a database made with `workers: false`.
    public func addWorkers(database name: String) async throws {
        let nodes = try await started()
        try await Self.addWorkers(database: name, nodes: nodes)
    }

    private static func addWorkers(database name: String, nodes: [Node]) async throws {
        var setup = ["SELECT citus_set_coordinator_host('127.0.0.1', \(nodes[0].url.port))"]
        for worker in nodes.dropFirst() { setup.append("SELECT citus_add_node('127.0.0.1', \(worker.url.port))") }
        try await run(setup, on: nodes[0].url.with(database: name), logger: TestDatabase.testLogger)
    }

    private static func setUp(name: String, nodes: [Node], password: String, workers: Bool, migrate: Bool) async throws {
        let logger = TestDatabase.testLogger
        for node in nodes {
            try await Self.run(["CREATE DATABASE \"\(name)\""], on: node.url, logger: logger)
            try await Self.run(
                [
                    "CREATE EXTENSION citus",
                    // Every node may open connections to every other (the coordinator to the workers; a worker to
                    // the others for a trigger's statement or a metadata sync): one password for all.
                    "INSERT INTO pg_dist_authinfo (nodeid, rolename, authinfo) VALUES (0, 'chartly', 'password=\(password)')",
                ],
                on: node.url.with(database: name), logger: logger
            )
        }
        let coordinator = nodes[0].url.with(database: name)
        if workers { try await addWorkers(database: name, nodes: nodes) }
        if migrate {
            let store = BudgetStore(url: coordinator, maximumConnections: 1, acquireTimeout: TestDatabase.acquireTimeout, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await store.run() }
                defer { group.cancelAll() }
                try await Migrator(store: store).migrate()
            }
        }
    }

    private func start() async throws -> [Node] {
        guard Self.isInstalled else { throw CitusSetupError(message: Self.notInstalledMessage) }
        let logger = TestDatabase.testLogger
        var nodes: [Node] = []
        for role in ["coordinator", "worker1", "worker2"] {
            var configuration = LocalPostgresConfiguration.ephemeral(prefix: "chartly-citus-\(role)")
            configuration.maximumConnections = 600
            if FileManager.default.isWritableFile(atPath: "/dev/shm") {
                configuration.dataDirectory = "/dev/shm/" + URL(fileURLWithPath: configuration.dataDirectory).lastPathComponent
            }
            configuration.settings = [
                "shared_preload_libraries": "citus",
                // Few shards per table: a test database is created, distributed and migrated for every test.
                "citus.shard_count": "4",
                "max_prepared_transactions": "200",
                "wal_level": "logical",
            ]
            let cluster = LocalPostgresCluster(configuration: configuration, logger: logger)
            let info = try await cluster.start()
            var url = DatabaseURL(host: info.host, port: info.port, username: info.username, password: info.password, database: info.database)
            try await Self.run(["ALTER ROLE chartly PASSWORD '\(password)'"], on: url, logger: logger)
            url.password = password
            nodes.append(Node(url: url, cluster: cluster))
        }
        self.nodes = nodes
        return nodes
    }

    /// Runs statements one by one on a connection of its own.
    public static func run(_ statements: [String], on url: DatabaseURL, logger: Logger) async throws {
        let connection = try await PostgresConnection.connect(
            configuration: .init(host: url.host, port: url.port, username: url.username, password: url.password, database: url.database, tls: .disable),
            id: 1, logger: logger
        )
        do {
            for statement in statements {
                for try await _ in try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) {}
            }
        } catch {
            try? await connection.close()
            throw CitusSetupError(message: "\(statements.joined(separator: "; ")) on \(url.host):\(url.port)/\(url.database): \(describeDatabaseError(error))")
        }
        try await connection.close()
    }
}

struct CitusSetupError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
