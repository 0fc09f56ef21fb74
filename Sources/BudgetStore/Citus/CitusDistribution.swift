import Foundation
import Logging
import PostgresNIO

/// Citus, the distributed PostgreSQL the schema scales out on: its one seam in the store.
///
/// On a coordinator (the `citus` extension with at least one worker node) `migrate` distributes the schema by
/// tenant after applying the migrations: every table with a `tenant_id` becomes a distributed table co-located
/// with `usage_samples` (a tenant's rows of every table live in shards on the same worker, so one tenant's
/// transaction stays on one worker), the small tables every tenant shares (`api_tokens`, `maintenance_runs`)
/// become reference tables copied to every node, and the `chartly_*` functions are created on the workers,
/// where the triggers and the decision path run them. It is idempotent: what is distributed already is left as
/// it is, so it runs after every migration, and a table a later migration adds is distributed the next time.
/// On plain PostgreSQL it does nothing.
public enum CitusDistribution {
    /// The table the others are co-located with.
    static let anchor = "usage_samples"
    /// Shared by every tenant and read on every request: a copy on every node.
    static let referenceTables = ["api_tokens", "maintenance_runs"]
    /// Kept on the coordinator only: the ledger of its own schema.
    static let localTables = ["schema_migrations"]

    /// The Citus version when the database is a Citus coordinator with workers, else nil.
    static func coordinator(on connection: PostgresConnection, logger: Logger) async throws -> String? {
        guard try await hasExtension(on: connection, logger: logger) else { return nil }
        let rows = try await connection.query(
            """
            SELECT e.extversion,
                   (SELECT count(*) FROM pg_catalog.pg_dist_node n WHERE n.noderole = 'primary' AND n.groupid <> 0 AND n.isactive)::int8
            FROM pg_extension e WHERE e.extname = 'citus'
            """,
            logger: logger
        )
        for try await (version, workers) in rows.decode((String, Int64).self) where workers > 0 { return version }
        return nil
    }

    /// Whether the `citus` extension is installed in this database (with or without workers).
    static func hasExtension(on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let rows = try await connection.query("SELECT count(*)::int8 FROM pg_extension WHERE extname = 'citus'", logger: logger)
        for try await count in rows.decode(Int64.self) { return count > 0 }
        return false
    }

    /// Distributes what is not distributed yet; returns what it did, one line per table or function.
    static func distribute(on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        // The schema's triggers (audit log, configuration generations) touch rows of the same tenant only:
        // the case Citus' setting is for. Without it Citus refuses to distribute a table with triggers.
        try await connection.perform("SET citus.enable_unsafe_triggers = on", logger: logger)
        var done: [String] = []
        let pending = try await undistributedTables(on: connection, logger: logger)
        // The anchor first, then tables without foreign keys, then those whose keys reference others.
        let ordered = pending.sorted { lhs, rhs in
            let l = (lhs.name == anchor ? 0 : lhs.hasForeignKey ? 2 : 1, lhs.name)
            let r = (rhs.name == anchor ? 0 : rhs.hasForeignKey ? 2 : 1, rhs.name)
            return l < r
        }
        for table in ordered {
            let sql: String
            if referenceTables.contains(table.name) {
                sql = "SELECT create_reference_table('\(table.name)')"
                done.append("reference table \(table.name)")
            } else if table.name == anchor {
                sql = "SELECT create_distributed_table('\(table.name)', 'tenant_id')"
                done.append("distributed table \(table.name) by tenant_id")
            } else {
                sql = "SELECT create_distributed_table('\(table.name)', 'tenant_id', colocate_with => '\(anchor)')"
                done.append("distributed table \(table.name) by tenant_id, co-located with \(anchor)")
            }
            do {
                try await connection.perform(PostgresQuery(unsafeSQL: sql), logger: logger)
            } catch {
                throw MigrationError(file: "citus: \(sql)", message: Migrator.describe(error))
            }
            logger.info("citus", metadata: ["distributed": "\(done.last!)"])
        }
        let functions = try await connection.query(
            """
            SELECT p.oid::regprocedure::text FROM pg_proc p
            WHERE p.pronamespace = current_schema()::regnamespace AND p.proname LIKE 'chartly\\_%'
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_object o WHERE o.classid = 'pg_proc'::regclass AND o.objid = p.oid)
            ORDER BY 1
            """,
            logger: logger
        )
        var signatures: [String] = []
        for try await signature in functions.decode(String.self) { signatures.append(signature) }
        for signature in signatures {
            do {
                try await connection.perform("SELECT create_distributed_function(\(signature))", logger: logger)
            } catch {
                throw MigrationError(file: "citus: create_distributed_function('\(signature)')", message: Migrator.describe(error))
            }
            done.append("function \(signature) on every node")
        }
        return done
    }

    struct Table: Sendable {
        var name: String
        var hasForeignKey: Bool
    }

    /// The schema's tables Citus does not manage yet: those with a `tenant_id` and the reference tables.
    static func undistributedTables(on connection: PostgresConnection, logger: Logger) async throws -> [Table] {
        let rows = try await connection.query(
            """
            SELECT c.relname::text,
                   EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'f')
            FROM pg_class c
            WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
              AND NOT (c.relname = ANY(\(localTables)::text[]))
              AND (c.relname = ANY(\(referenceTables)::text[])
                   OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped))
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition d WHERE d.logicalrelid = c.oid)
            ORDER BY 1
            """,
            logger: logger
        )
        var tables: [Table] = []
        for try await (name, foreign) in rows.decode((String, Bool).self) { tables.append(Table(name: name, hasForeignKey: foreign)) }
        return tables
    }
}
