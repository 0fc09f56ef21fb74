import Foundation
import Logging

/// A private Citus cluster on loopback: a coordinator and workers, each a throwaway `LocalPostgresCluster` with
/// Citus loaded, for the test suite and `bench --engine citus`. Needs Citus installed for the local PostgreSQL
/// (`../shared/scripts/install-citus`).
///
/// Citus keeps a database's distribution metadata and shards in that database on every node, so a database is
/// made on all nodes at once (`createDatabase`): created on each, given the extension and a way for the nodes
/// to reach each other, and the workers added on the coordinator. Workers are added to one database at a time:
/// adding nodes to several new databases at once makes Citus fail some ("failure on connection marked as essential").
public actor LocalCitusCluster {
    /// Why a Citus cluster cannot start here, naming the script that fixes it.
    public static let notInstalledMessage =
        "Citus is not installed for the local PostgreSQL: run ../shared/scripts/install-citus (builds Citus 13.2.2, about a minute)"

    /// Whether `citus.so` is installed for a PostgreSQL server on this machine.
    public static var isInstalled: Bool {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.contains { FileManager.default.fileExists(atPath: "\(root)/\($0)/lib/citus.so") }
    }

    private let workerCount: Int
    private let shardCount: Int
    private let durable: Bool
    private let logger: Logger
    private var clusters: [LocalPostgresCluster] = []
    private var nodes: [PostgresConnectionInfo]?
    private var starting: Task<[PostgresConnectionInfo], any Error>?
    private var setupTail: Task<Void, any Error>?
    /// One password for the cluster's role on every node, which the nodes use to reach each other.
    private let password = UUID().uuidString

    /// - Parameters:
    ///   - shardCount: `citus.shard_count`, the shards of each distributed table (Citus' default is 32).
    ///   - durable: commits wait for the disk, as in production (benchmarks); tests run without.
    public init(workers: Int = 2, shardCount: Int = 4, durable: Bool = false, logger: Logger) {
        self.workerCount = workers
        self.shardCount = shardCount
        self.durable = durable
        self.logger = logger
    }

    /// The coordinator first, then the workers (database `postgres`).
    public func start() async throws -> [PostgresConnectionInfo] {
        if let nodes { return nodes }
        if let starting { return try await starting.value }
        let task = Task { try await self.launch() }
        starting = task
        return try await task.value
    }

    /// Creates `name` on every node with the extension; with `workers` (the default) the workers are added, so the
    /// database is a Citus coordinator. Returns how to connect to it on the coordinator.
    public func createDatabase(_ name: String, workers: Bool = true) async throws -> PostgresConnectionInfo {
        let nodes = try await start()
        for node in nodes {
            try await Self.psql("CREATE DATABASE \"\(name)\";", on: node, database: "postgres", password: password)
            try await Self.psql(
                """
                CREATE EXTENSION citus;
                INSERT INTO pg_dist_authinfo (nodeid, rolename, authinfo) VALUES (0, '\(node.username)', 'password=\(password)');
                """,
                on: node, database: name, password: password
            )
        }
        if workers { try await addWorkers(database: name) }
        var coordinator = nodes[0]
        coordinator.database = name
        return coordinator
    }

    /// Adds the workers to a database made with `workers: false` (a single-node database moving onto Citus).
    public func addWorkers(database name: String) async throws {
        let nodes = try await start()
        let previous = setupTail
        let task = Task { [password] in
            _ = await previous?.result
            try await Self.addWorkers(database: name, nodes: nodes, password: password)
        }
        setupTail = task
        try await task.value
    }

    /// Stops every node and removes its files.
    public func stop() async throws {
        for cluster in clusters { try await cluster.stop() }
        clusters = []
        nodes = nil
        starting = nil
    }

    private static func addWorkers(database name: String, nodes: [PostgresConnectionInfo], password: String) async throws {
        var script = "SELECT citus_set_coordinator_host('127.0.0.1', \(nodes[0].port));\n"
        for worker in nodes.dropFirst() { script += "SELECT citus_add_node('127.0.0.1', \(worker.port));\n" }
        try await psql(script, on: nodes[0], database: name, password: password)
    }

    private func launch() async throws -> [PostgresConnectionInfo] {
        guard Self.isInstalled else { throw LocalPostgresError.launchFailed(command: "citus", reason: Self.notInstalledMessage) }
        var nodes: [PostgresConnectionInfo] = []
        for role in ["coordinator"] + (1...workerCount).map({ "worker\($0)" }) {
            var configuration = LocalPostgresConfiguration.ephemeral(prefix: "chartly-citus-\(role)")
            configuration.relaxedDurability = !durable
            configuration.maximumConnections = 600
            if FileManager.default.isWritableFile(atPath: "/dev/shm") && !durable {
                configuration.dataDirectory = "/dev/shm/" + URL(fileURLWithPath: configuration.dataDirectory).lastPathComponent
            }
            configuration.settings = [
                "shared_preload_libraries": "citus",
                "citus.shard_count": "\(shardCount)",
                // Multi-shard writes commit in two phases.
                "max_prepared_transactions": "200",
                "wal_level": "logical",
            ]
            let cluster = LocalPostgresCluster(configuration: configuration, logger: logger)
            clusters.append(cluster)
            var info = try await cluster.start()
            try await Self.psql("ALTER ROLE \"\(info.username)\" PASSWORD '\(password)';", on: info, database: "postgres", password: info.password)
            info.password = password
            nodes.append(info)
        }
        self.nodes = nodes
        return nodes
    }

    private static func psql(_ script: String, on node: PostgresConnectionInfo, database: String, password: String) async throws {
        let binaries = try await PostgresBinaries.locate()
        guard let psql = binaries.psql else {
            throw LocalPostgresError.launchFailed(command: "psql", reason: "not found; install the `postgresql-client` package")
        }
        let command = Command(
            executable: psql,
            arguments: [
                "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1",
                "--host=\(node.host)", "--port=\(node.port)", "--username=\(node.username)", "--dbname=\(database)", "--file=-",
            ],
            environment: Command.cleanEnvironment(adding: ["PGPASSWORD": password, "PGCONNECT_TIMEOUT": "10"]),
            standardInput: script
        )
        let output = try await ProcessRunner.run(command)
        guard output.succeeded else { throw LocalPostgresError.commandFailed(command, output) }
    }
}
