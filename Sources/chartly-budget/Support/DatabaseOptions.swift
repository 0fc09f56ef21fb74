import ArgumentParser
import BudgetStore
import Foundation
import LocalPostgres
import Logging

/// `--database-url` (or `DATABASE_URL`) and, without it, the embedded cluster under `--data-dir`.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "postgres://user:password@host:port/database (default: $DATABASE_URL, else the embedded cluster)")
    var databaseURL: String?

    @Option(name: .customLong("data-dir"), help: "Where the embedded PostgreSQL cluster and its files live.")
    var dataDirectory: String = ".chartly"

    /// The configured URL, if any (flag first, then environment).
    var configuredURL: String? {
        databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Runs `body` with a database: the configured one, or the embedded cluster started for the duration.
    func withDatabase<T: Sendable>(logger: Logger, _ body: (DatabaseURL, _ embedded: Bool) async throws -> T) async throws -> T {
        if let text = configuredURL {
            return try await body(try DatabaseURL(text), false)
        }
        let cluster = LocalPostgresCluster(
            configuration: LocalPostgresConfiguration(
                dataDirectory: (dataDirectory as NSString).appendingPathComponent("postgres"),
                ephemeral: false
            ),
            logger: logger
        )
        let info = try await cluster.start()
        let url = DatabaseURL(host: info.host, port: info.port, username: info.username, password: info.password, database: info.database)
        do {
            let result = try await body(url, true)
            try await cluster.stop()
            return result
        } catch {
            try? await cluster.stop()
            throw error
        }
    }
}

/// `LOG_LEVEL` (trace, debug, info, notice, warning, error, critical); default info.
func makeLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    if let text = ProcessInfo.processInfo.environment["LOG_LEVEL"], let level = Logger.Level(rawValue: text.lowercased()) {
        logger.logLevel = level
    } else {
        logger.logLevel = .info
    }
    return logger
}
