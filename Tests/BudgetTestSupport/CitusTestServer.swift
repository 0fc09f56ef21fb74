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

/// The test suite's Citus cluster: a coordinator and two workers on loopback (`LocalCitusCluster`), started on
/// first use and stopped (and deleted) when the test process ends, like the single server of `TestDatabase`.
///
/// A test database cannot be copied from a template on Citus (its shards live in the same database on every
/// node): each is created on the three nodes and migrated (`Migrator` distributes the schema itself).
public actor CitusTestServer {
    public static let shared = CitusTestServer()

    /// Why the Citus tests cannot run here, naming the script that fixes it.
    public static let notInstalledMessage = LocalCitusCluster.notInstalledMessage

    /// Whether Citus is installed for the local PostgreSQL.
    public static var isInstalled: Bool { LocalCitusCluster.isInstalled }

    /// In CI (`CI=true`) the Citus tests must run, never skip.
    public static var isRequired: Bool {
        ProcessInfo.processInfo.environment["CI"].map { $0 == "true" || $0 == "1" } ?? false
    }

    private let cluster = LocalCitusCluster(workers: 2, shardCount: 4, logger: TestDatabase.testLogger)
    private var counter = 0
    private let pid = ProcessInfo.processInfo.processIdentifier

    /// The coordinator first, then the two workers (database `postgres`).
    public func started() async throws -> [DatabaseURL] {
        try await cluster.start().map(Self.url)
    }

    /// A new database on the cluster with the schema applied and distributed; its URL is the coordinator's.
    ///
    /// With `workers: false` the database has the extension but no worker yet, as a single-node database that is
    /// about to move onto Citus (`addWorkers` then adds them); it is migrated only when `migrate` is true.
    public func makeDatabase(migrate: Bool = true, workers: Bool = true) async throws -> DatabaseURL {
        counter += 1
        let name = "chartly_c_\(pid)_\(counter)"
        // One database at a time: distributing a schema is seconds of DDL on all three nodes, and the whole suite
        // shares two cores; set up together, they would starve the other suites' time-bounded tests.
        let previous = setupTail
        let cluster = self.cluster
        let task = Task { () throws -> DatabaseURL in
            _ = await previous?.result
            let url = Self.url(try await cluster.createDatabase(name, workers: workers))
            if migrate {
                let store = BudgetStore(url: url, maximumConnections: 1, acquireTimeout: TestDatabase.acquireTimeout, logger: TestDatabase.testLogger)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await store.run() }
                    defer { group.cancelAll() }
                    try await Migrator(store: store).migrate()
                }
            }
            return url
        }
        setupTail = Task { _ = await task.result }
        return try await task.value
    }

    private var setupTail: Task<Void, Never>?

    /// Adds the two workers to a database made with `workers: false`.
    public func addWorkers(database name: String) async throws {
        try await cluster.addWorkers(database: name)
    }

    static func url(_ info: PostgresConnectionInfo) -> DatabaseURL {
        DatabaseURL(host: info.host, port: info.port, username: info.username, password: info.password, database: info.database)
    }
}
