import BudgetServer
import BudgetStore
import Foundation
import Hummingbird
import LocalPostgres
import Logging
import PostgresNIO
import ServiceLifecycle

/// A fresh database and a running service for the benchmarks, torn down afterwards.
///
/// Without `--database-url` it is a throwaway cluster; with one, a new database on that server.
/// The service runs in this process on a free port, so client, server and PostgreSQL share the machine
/// the same way for every figure and its baseline.
struct BenchEnvironment {
    let url: DatabaseURL
    let store: BudgetStore
    let baseURL: String
    let token: String

    static func with<T: Sendable>(
        databaseURL: String?,
        logger: Logger,
        _ body: @Sendable (BenchEnvironment) async throws -> T
    ) async throws -> T {
        if let databaseURL {
            let server = try DatabaseURL(databaseURL)
            let name = "chartly_bench_\(ProcessInfo.processInfo.processIdentifier)"
            let admin = BudgetStore(url: server, maximumConnections: 1, logger: logger)
            try await admin.whileRunning {
                try await admin.client.perform(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name)"))
                try await admin.client.perform(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
            }
            let result = try await run(url: server.with(database: name), logger: logger, body)
            // A store's pool runs once: the drop gets a store of its own.
            let dropper = BudgetStore(url: server, maximumConnections: 1, logger: logger)
            _ = try? await dropper.whileRunning {
                try await dropper.client.perform(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
            }
            return result
        }
        let cluster = LocalPostgresCluster(configuration: .ephemeral(prefix: "chartly-bench"), logger: logger)
        let info = try await cluster.start()
        do {
            let url = DatabaseURL(host: info.host, port: info.port, username: info.username, password: info.password, database: info.database)
            let result = try await run(url: url, logger: logger, body)
            try await cluster.stop()
            return result
        } catch {
            try? await cluster.stop()
            throw error
        }
    }

    private static func run<T: Sendable>(
        url: DatabaseURL,
        logger: Logger,
        _ body: @Sendable (BenchEnvironment) async throws -> T
    ) async throws -> T {
        let store = BudgetStore(url: url, maximumConnections: 40, logger: logger)
        let token = "bench-admin-token-\(UInt64.random(in: 0...UInt64.max))"
        let port = try BenchPorts.free()
        var configuration = ServerConfiguration(host: "127.0.0.1", port: port)
        configuration.bootstrapAdminToken = token
        configuration.rateLimitPerSecond = 0
        let migrator = try Migrator(store: store)
        let migrated = StartGate()
        let app = buildApplication(
            configuration: configuration, store: store, expectedMigration: migrator.latestVersion, jobsStartAfter: migrated, logger: logger
        )
        return try await withThrowingTaskGroup(of: T?.self) { group in
            let serviceGroup = ServiceGroup(configuration: .init(services: [app], logger: logger))
            group.addTask {
                try await serviceGroup.run()
                return nil
            }
            try await migrator.migrate()
            migrated.open()
            let environment = BenchEnvironment(url: url, store: store, baseURL: "http://127.0.0.1:\(port)", token: token)
            try await environment.waitUntilReady()
            let result = try await body(environment)
            await serviceGroup.triggerGracefulShutdown()
            for try await value in group { if value != nil { break } }
            return result
        }
    }

    func waitUntilReady() async throws {
        for _ in 0..<200 {
            if let answer = try? await BenchHTTP.client.execute(.init(url: baseURL + "/ready"), timeout: .seconds(2)), answer.status == .ok {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ClientFailure("the benchmark server did not become ready")
    }
}
