import BudgetSchema
import Crypto
import Foundation
import Logging
import PostgresNIO

/// Applies the numbered migrations of `sql/migrations`, each once, in order.
///
/// Replicas starting together serialise on a session-level advisory lock; each file runs in its
/// own transaction, so a failing one leaves the schema as it was before that file.
public struct Migrator: Sendable {
    public let store: BudgetStore
    public let migrations: [BudgetSchema.Migration]

    /// The lock key every replica agrees on (`hashtext('chartly_migrations')` would need a round trip).
    static let advisoryLockKey: Int64 = 0x6368_6172_746c_7901

    public init(store: BudgetStore) throws {
        self.init(store: store, migrations: try BudgetSchema.migrations())
    }

    /// A migrator for an explicit list (tests use it to add a failing file).
    public init(store: BudgetStore, migrations: [BudgetSchema.Migration]) {
        self.store = store
        self.migrations = migrations
    }

    /// The newest migration number this binary knows.
    public var latestVersion: Int { migrations.last?.version ?? 0 }

    /// Applies what is missing; returns the names of the files applied now.
    @discardableResult
    public func migrate() async throws -> [String] {
        try await migrateReporting().applied
    }

    /// What one `migrate` did: the files applied, and on a Citus coordinator what it distributed (one line per
    /// table or function; empty when everything already was).
    public struct Report: Sendable {
        public var applied: [String]
        /// The Citus version when the database is a coordinator with workers.
        public var citus: String?
        public var distributed: [String]
    }

    /// As `migrate`, saying also what was distributed on Citus.
    public func migrateReporting() async throws -> Report {
        let migrations = self.migrations
        let logger = store.logger
        return try await store.withConnection { connection in
            // Migrations may rewrite large tables: no statement timeout here.
            try await connection.perform("SET statement_timeout = 0", logger: logger)
            try await connection.perform("SELECT pg_advisory_lock(\(Self.advisoryLockKey))", logger: logger)
            do {
                // On Citus, migrations may create triggers on distributed tables (see CitusDistribution).
                let citus = try await CitusDistribution.coordinator(on: connection, logger: logger)
                if citus != nil { try await connection.perform("SET citus.enable_unsafe_triggers = on", logger: logger) }
                let applied = try await Self.apply(migrations, on: connection, logger: logger)
                var distributed: [String] = []
                if let citus {
                    distributed = try await CitusDistribution.distribute(on: connection, logger: logger)
                    if !distributed.isEmpty {
                        logger.info("distributed the schema on Citus", metadata: ["citus": "\(citus)", "objects": "\(distributed.count)"])
                    }
                }
                try await connection.perform("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
                try await connection.perform("RESET statement_timeout", logger: logger)
                if citus != nil { try await connection.perform("RESET citus.enable_unsafe_triggers", logger: logger) }
                return Report(applied: applied, citus: citus, distributed: distributed)
            } catch {
                _ = try? await connection.perform("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
                throw error
            }
        }
    }

    private static func apply(
        _ migrations: [BudgetSchema.Migration],
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [String] {
        // The one table without tenant_id: the ledger of the schema itself (a Citus reference table).
        try await connection.perform(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                checksum   text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            logger: logger
        )
        var done: [Int: (name: String, checksum: String)] = [:]
        for try await (version, name, checksum) in try await connection.query(
            "SELECT version, name, checksum FROM schema_migrations", logger: logger
        ).decode((Int, String, String).self) {
            done[version] = (name, checksum)
        }
        var applied: [String] = []
        for migration in migrations {
            let checksum = Self.checksum(migration.sql)
            if let previous = done[migration.version] {
                guard previous.checksum == checksum else {
                    throw MigrationError(
                        file: migration.name,
                        message: "was changed after it was applied (as \(previous.name)); add a new migration instead of editing an applied one"
                    )
                }
                continue
            }
            logger.info("applying migration", metadata: ["file": "\(migration.name)"])
            do {
                try await connection.perform("BEGIN", logger: logger)
                try await connection.perform(Self.renewConfigGenerations, logger: logger)
                for statement in SQLStatements.split(migration.sql) {
                    try await connection.perform(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.perform(
                    """
                    INSERT INTO schema_migrations (version, name, checksum)
                    VALUES (\(migration.version), \(migration.name), \(checksum))
                    """,
                    logger: logger
                )
                try await connection.perform("COMMIT", logger: logger)
                applied.append(migration.name)
            } catch {
                _ = try? await connection.perform("ROLLBACK", logger: logger)
                if let error = error as? PSQLError, error.isConnectionFailure {
                    throw StoreError.unavailable(error.code.description)
                }
                throw MigrationError(file: migration.name, message: Self.describe(error))
            }
        }
        return applied
    }

    /// Every tenant gets a new configuration generation in each migration's transaction (once migration 018
    /// made them): a migration may change configuration in ways the row triggers do not see (a table rewritten
    /// or swapped, triggers disabled), and replicas must not keep deciding on what they read before it. First
    /// in the transaction, as the service's configuration writers take a tenant's generation row before any
    /// configuration row: a migration that writes configuration while replicas serve cannot deadlock with them.
    /// One more than before (no sequence, no clock: a multi-shard UPDATE on Citus allows neither), which only grows.
    static let renewConfigGenerations: PostgresQuery = """
        DO $$
        BEGIN
            IF to_regclass('config_generations') IS NOT NULL THEN
                UPDATE config_generations SET generation = generation + 1;
            END IF;
        END
        $$
        """

    static func checksum(_ sql: String) -> String {
        SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func describe(_ error: any Error) -> String {
        describeDatabaseError(error)
    }
}

/// A migration that could not be applied: names the file and carries the database's message.
public struct MigrationError: Error, CustomStringConvertible {
    public var file: String
    public var message: String
    public var description: String { "migration \(file) failed: \(message)" }
}
