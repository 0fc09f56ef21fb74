import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Which PostgreSQL the store talks to. The SQL is the same on both but for the few statements whose
/// behaviour differs on Citus, which ask this.
public enum DatabaseEngine: Sendable, Equatable {
    /// One PostgreSQL server.
    case postgres
    /// A Citus coordinator whose schema is distributed (`usage_samples` is a distributed table).
    case citus(version: String)

    public var isCitus: Bool {
        if case .citus = self { return true }
        return false
    }
}

/// The engine, asked once per store (a database does not change engine under a running service: distributing
/// it is done by `migrate`, which runs before the service serves).
final class EngineCache: Sendable {
    private let value = Mutex<DatabaseEngine?>(nil)

    func engine(on connection: PostgresConnection, logger: Logger) async throws -> DatabaseEngine {
        if let known = value.withLock({ $0 }) { return known }
        var engine = DatabaseEngine.postgres
        if try await CitusDistribution.hasExtension(on: connection, logger: logger) {
            let rows = try await connection.query(
                """
                SELECT (SELECT extversion FROM pg_extension WHERE extname = 'citus'),
                       EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition WHERE logicalrelid = to_regclass('usage_samples'))
                """,
                logger: logger
            )
            for try await (version, distributed) in rows.decode((String, Bool).self) where distributed { engine = .citus(version: version) }
        }
        value.withLock { $0 = engine }
        return engine
    }
}

extension BudgetStore {
    /// Which engine the database is (asked once).
    public func engine() async throws -> DatabaseEngine {
        let logger = self.logger
        let cache = self.engineCache
        return try await withConnection { connection in try await cache.engine(on: connection, logger: logger) }
    }
}
