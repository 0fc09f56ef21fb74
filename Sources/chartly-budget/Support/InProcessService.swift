import BudgetServer
import BudgetStore
import Foundation
import LocalPostgres
import Logging
import PostgresNIO
import ServiceLifecycle

/// A fresh database and the real service running in this process on a free port, torn down afterwards
/// (`bench` and `simulate`): client, service and PostgreSQL share the machine the same way for every figure.
///
/// Without a database URL it is a throwaway cluster; with one, a new database on that server, dropped at
/// the end. The schema is migrated before the service and its background jobs start.
struct InProcessService {
    let url: DatabaseURL
    let store: BudgetStore
    let baseURL: String
    let token: String
    /// The service's per-tenant ingest limit (off unless a benchmark sets it).
    let tenantIngest: TenantIngestLimiter
    /// The load generators' lean keep-alive client for this service (`BenchClient`).
    let client: BenchClient

    static func with<T: Sendable>(
        databaseURL: String?,
        name: String,
        maximumConnections: Int,
        logger: Logger,
        configure: (inout ServerConfiguration) -> Void = { _ in },
        _ body: @Sendable (InProcessService) async throws -> T
    ) async throws -> T {
        if let databaseURL {
            let server = try DatabaseURL(databaseURL)
            let database = "chartly_\(name)_\(ProcessInfo.processInfo.processIdentifier)"
            try await Self.onServer(server, logger: logger) { client in
                try await client.perform(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(database)"))
                try await client.perform(PostgresQuery(unsafeSQL: "CREATE DATABASE \(database)"))
            }
            do {
                let result = try await run(
                    url: server.with(database: database), maximumConnections: maximumConnections, logger: logger, configure: configure, body
                )
                await drop(database, server: server, logger: logger)
                return result
            } catch {
                await drop(database, server: server, logger: logger)
                throw error
            }
        }
        // Thrown away afterwards, but configured as a production server would be: durable commits.
        var clusterConfiguration = LocalPostgresConfiguration.ephemeral(prefix: "chartly-\(name)")
        clusterConfiguration.relaxedDurability = false
        let cluster = LocalPostgresCluster(configuration: clusterConfiguration, logger: logger)
        let info = try await cluster.start()
        do {
            let url = DatabaseURL(host: info.host, port: info.port, username: info.username, password: info.password, database: info.database)
            let result = try await run(url: url, maximumConnections: maximumConnections, logger: logger, configure: configure, body)
            try await cluster.stop()
            return result
        } catch {
            try? await cluster.stop()
            throw error
        }
    }

    /// As `with`, on a local Citus cluster (a coordinator and two workers, durable commits, `citus.shard_count` 4)
    /// that is thrown away afterwards; `migrate` distributes the schema on it.
    static func onCitus<T: Sendable>(
        name: String, maximumConnections: Int, logger: Logger, _ body: @Sendable (InProcessService) async throws -> T
    ) async throws -> T {
        let cluster = LocalCitusCluster(workers: 2, shardCount: 4, durable: true, logger: logger)
        do {
            let info = try await cluster.createDatabase("chartly_\(name)")
            let url = DatabaseURL(host: info.host, port: info.port, username: info.username, password: info.password, database: info.database)
            let result = try await run(url: url, maximumConnections: maximumConnections, logger: logger, configure: { _ in }, body)
            try await cluster.stop()
            return result
        } catch {
            try? await cluster.stop()
            throw error
        }
    }

    /// Runs `work` with a client on the server's own database, through a store of its own (a store's pool runs once).
    private static func onServer(_ server: DatabaseURL, logger: Logger, _ work: (PostgresClient) async throws -> Void) async throws {
        let store = BudgetStore(url: server, maximumConnections: 1, logger: logger)
        do {
            try await store.whileRunning { try await work(store.client) }
        } catch let error as PSQLError where error.serverInfo != nil {
            throw error
        } catch {
            // The pool's own errors (its circuit breaker after failed connects) do not say why: ask the server.
            guard let reason = await BudgetStore.connectionFailure(url: server, logger: logger) else { throw error }
            throw ClientFailure("cannot connect to \(server.description): \(reason)")
        }
    }

    private static func drop(_ database: String, server: DatabaseURL, logger: Logger) async {
        try? await onServer(server, logger: logger) { client in
            try await client.perform(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(database) WITH (FORCE)"))
        }
    }

    private static func run<T: Sendable>(
        url: DatabaseURL,
        maximumConnections: Int,
        logger: Logger,
        configure: (inout ServerConfiguration) -> Void,
        _ body: @Sendable (InProcessService) async throws -> T
    ) async throws -> T {
        let token = "in-process-admin-token-\(UInt64.random(in: 0...UInt64.max))"
        let port = try BenchPorts.free()
        var configuration = ServerConfiguration(host: "127.0.0.1", port: port)
        configuration.bootstrapAdminToken = token
        configuration.rateLimitPerSecond = 0
        configuration.tenantIngest.set(rate: 0, burst: 1)  // the load generators measure the service, not its limits
        configure(&configuration)
        // Migrated through a store of its own before anything starts, so the jobs' first round finds the schema.
        let migrationStore = BudgetStore(url: url, maximumConnections: 1, logger: logger)
        let migrator = try Migrator(store: migrationStore)
        _ = try await migrationStore.whileRunning { try await migrator.migrate() }
        let store = BudgetStore(url: url, maximumConnections: maximumConnections, logger: logger)
        let app = buildApplication(configuration: configuration, store: store, expectedMigration: migrator.latestVersion, logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            let serviceGroup = ServiceGroup(configuration: .init(services: [app], logger: logger))
            group.addTask {
                try await serviceGroup.run()
                return nil
            }
            do {
                let service = InProcessService(
                    url: url, store: store, baseURL: "\(configuration.tls == nil ? "http" : "https")://127.0.0.1:\(port)", token: token, tenantIngest: configuration.tenantIngest,
                    client: BenchClient(host: "127.0.0.1", port: port)
                )
                try await service.waitUntilReady()
                let result = try await body(service)
                await service.client.shutdown()
                await serviceGroup.triggerGracefulShutdown()
                for try await value in group { if value != nil { break } }
                return result
            } catch {
                await serviceGroup.triggerGracefulShutdown()
                group.cancelAll()
                throw error
            }
        }
    }

    func waitUntilReady() async throws {
        for _ in 0..<400 {
            let client = baseURL.hasPrefix("https") ? BenchHTTP.unverifiedTLSClient : BenchHTTP.client
            if let answer = try? await client.execute(.init(url: baseURL + "/ready"), timeout: .seconds(2)), answer.status == .ok {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ClientFailure("the in-process service did not become ready")
    }
}
