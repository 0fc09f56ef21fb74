import BudgetCore
import BudgetServer
import BudgetStore
import Foundation
import Hummingbird
import LocalPostgres
import Logging
import PostgresNIO
import ServiceLifecycle

/// A fresh database and the real service running in this process, for the simulation (a variation of
/// `BenchEnvironment`): the schema is migrated *before* the service and its background jobs start, so the
/// jobs' first round (partition look-ahead, retention, alert jobs) runs on a ready database, and the
/// reservation time to live can be set like `serve --reservation-ttl-minutes`.
struct SimulationEnvironment {
    let store: BudgetStore
    let baseURL: String
    let token: String

    static func with<T: Sendable>(
        databaseURL: String?,
        reservationTTLMinutes: Int,
        logger: Logger,
        _ body: @Sendable (SimulationEnvironment) async throws -> T
    ) async throws -> T {
        if let databaseURL {
            let server = try DatabaseURL(databaseURL)
            let name = "chartly_simulate_\(ProcessInfo.processInfo.processIdentifier)"
            let admin = BudgetStore(url: server, maximumConnections: 1, logger: logger)
            try await admin.whileRunning {
                try await admin.client.perform(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name)"))
                try await admin.client.perform(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
            }
            do {
                let result = try await run(url: server.with(database: name), reservationTTLMinutes: reservationTTLMinutes, logger: logger, body)
                await Self.drop(name, server: server, logger: logger)
                return result
            } catch {
                await Self.drop(name, server: server, logger: logger)
                throw error
            }
        }
        let cluster = LocalPostgresCluster(configuration: .ephemeral(prefix: "chartly-simulate"), logger: logger)
        let info = try await cluster.start()
        do {
            let url = DatabaseURL(host: info.host, port: info.port, username: info.username, password: info.password, database: info.database)
            let result = try await run(url: url, reservationTTLMinutes: reservationTTLMinutes, logger: logger, body)
            try await cluster.stop()
            return result
        } catch {
            try? await cluster.stop()
            throw error
        }
    }

    /// Drops the simulation's database, through a store of its own (a store's pool runs once).
    private static func drop(_ name: String, server: DatabaseURL, logger: Logger) async {
        let dropper = BudgetStore(url: server, maximumConnections: 1, logger: logger)
        _ = try? await dropper.whileRunning {
            try await dropper.client.perform(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
        }
    }

    private static func run<T: Sendable>(
        url: DatabaseURL,
        reservationTTLMinutes: Int,
        logger: Logger,
        _ body: @Sendable (SimulationEnvironment) async throws -> T
    ) async throws -> T {
        let store = BudgetStore(url: url, maximumConnections: 24, logger: logger)
        let token = "simulate-admin-token-\(UInt64.random(in: 0...UInt64.max))"
        let port = try BenchPorts.free()
        var configuration = ServerConfiguration(host: "127.0.0.1", port: port)
        configuration.bootstrapAdminToken = token
        configuration.rateLimitPerSecond = 0
        configuration.decisions = DecisionSettings(reservationTTL: .minutes(Int64(reservationTTLMinutes)))
        // Migrated through a store of its own (a store's pool runs once), before anything else starts.
        let migrationStore = BudgetStore(url: url, maximumConnections: 1, logger: logger)
        let migrator = try Migrator(store: migrationStore)
        _ = try await migrationStore.whileRunning { try await migrator.migrate() }
        let app = buildApplication(configuration: configuration, store: store, expectedMigration: migrator.latestVersion, logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            let serviceGroup = ServiceGroup(configuration: .init(services: [app], logger: logger))
            group.addTask {
                try await serviceGroup.run()
                return nil
            }
            do {
                let environment = SimulationEnvironment(store: store, baseURL: "http://127.0.0.1:\(port)", token: token)
                try await environment.waitUntilReady()
                let result = try await body(environment)
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
            if let answer = try? await BenchHTTP.client.execute(.init(url: baseURL + "/ready"), timeout: .seconds(2)), answer.status == .ok {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ClientFailure("the simulated service did not become ready")
    }
}
