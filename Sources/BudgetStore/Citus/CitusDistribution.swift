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
        // The anchor first, then plain tables, then tables with triggers (whose functions write to plain ones,
        // e.g. `config_generations`: the rows a table holds are copied to its shards, and the shards' triggers
        // fire), then those whose foreign keys reference others.
        func rank(_ table: Table) -> Int {
            table.name == anchor ? 0 : table.hasForeignKey ? 3 : table.hasTrigger ? 2 : 1
        }
        let ordered = pending.sorted { (rank($0), $0.name) < (rank($1), $1.name) }
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
        // Distributing copies a table's rows to its shards and leaves the coordinator's own copy on disk, unseen.
        // Removed, in reverse order (tables that reference others first), except the audit log's: it is
        // append-only even on the coordinator (its TRUNCATE trigger refuses), so its copy stays, a few rows.
        for table in ordered.reversed() where table.name != "audit_log" {
            do {
                try await connection.perform(
                    PostgresQuery(unsafeSQL: "SELECT truncate_local_data_after_distributing_table('\(table.name)')"), logger: logger
                )
            } catch {
                logger.warning("citus: the coordinator's copy of a distributed table's rows was kept", metadata: [
                    "table": "\(table.name)", "error": "\(describeDatabaseError(error))",
                ])
            }
        }
        // Functions: on every node; the decision path's two also delegated to the worker of their tenant.
        let functions = try await connection.query(
            """
            SELECT p.oid::regprocedure::text, p.proname = ANY(\(delegatedFunctions)::text[])
            FROM pg_proc p
            LEFT JOIN pg_catalog.pg_dist_object o ON o.classid = 'pg_proc'::regclass AND o.objid = p.oid
            WHERE p.pronamespace = current_schema()::regnamespace AND p.proname LIKE 'chartly\\_%'
              AND (o.objid IS NULL OR (p.proname = ANY(\(delegatedFunctions)::text[]) AND o.distribution_argument_index IS NULL))
            ORDER BY 1
            """,
            logger: logger
        )
        var signatures: [(String, Bool)] = []
        for try await (signature, delegated) in functions.decode((String, Bool).self) { signatures.append((signature, delegated)) }
        for (signature, delegated) in signatures {
            let sql: PostgresQuery = delegated
                ? "SELECT create_distributed_function(\(signature)::regprocedure, 'p_tenant', colocate_with => 'usage_samples', force_delegation => true)"
                : "SELECT create_distributed_function(\(signature))"
            do {
                try await connection.perform(sql, logger: logger)
            } catch {
                throw MigrationError(file: "citus: create_distributed_function('\(signature)')", message: Migrator.describe(error))
            }
            done.append(delegated ? "function \(signature) delegated to the tenant's worker" : "function \(signature) on every node")
        }
        return done
    }

    /// Called on Citus instead of the decision path's two statements (migration 022): each runs whole on the worker
    /// holding the tenant's shards (`force_delegation`: also inside the decision's transaction).
    static let delegatedFunctions = ["chartly_decision_snapshot", "chartly_record_decision"]

    struct Table: Sendable {
        var name: String
        var hasForeignKey: Bool
        var hasTrigger: Bool
    }

    /// The schema's tables Citus does not manage yet: those with a `tenant_id` and the reference tables.
    static func undistributedTables(on connection: PostgresConnection, logger: Logger) async throws -> [Table] {
        let rows = try await connection.query(
            """
            SELECT c.relname::text,
                   EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'f'),
                   EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND NOT g.tgisinternal)
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
        for try await (name, foreign, trigger) in rows.decode((String, Bool, Bool).self) {
            tables.append(Table(name: name, hasForeignKey: foreign, hasTrigger: trigger))
        }
        return tables
    }
}

/// Where the schema lives on a Citus cluster, for `doctor` and operators.
public struct CitusLayout: Sendable, Equatable, Encodable {
    public struct Table: Sendable, Equatable, Encodable {
        public var name: String
        /// `distributed`, `reference`, or `local` (on the coordinator only).
        public var kind: String
        public var distributionColumn: String?
        public var colocationID: Int?
        public var shards: Int
        /// Whether the table has a `tenant_id` (and so should be distributed by it).
        public var tenantKeyed: Bool

        enum CodingKeys: String, CodingKey {
            case name, kind, shards
            case distributionColumn = "distribution_column"
            case colocationID = "colocation_id"
            case tenantKeyed = "tenant_keyed"
        }
    }

    public var version: String
    /// `host:port` of each active primary worker.
    public var workers: [String]
    public var tables: [Table]

    /// Tables with a `tenant_id` that are not distributed by it: a schema `migrate` has not (fully) distributed.
    public var undistributedTenantTables: [String] {
        tables.filter { $0.tenantKeyed && $0.kind == "local" }.map(\.name)
    }

    /// Whether every distributed table shares one co-location group (a tenant's rows of all of them on one worker).
    public var colocated: Bool {
        Set(tables.filter { $0.kind == "distributed" }.compactMap(\.colocationID)).count <= 1
    }
}

extension BudgetStore {
    /// The Citus layout of the schema, or nil on plain PostgreSQL.
    public func citusLayout() async throws -> CitusLayout? {
        let logger = self.logger
        return try await withConnection { connection in
            guard let version = try await CitusDistribution.coordinator(on: connection, logger: logger) else { return nil }
            var workers: [String] = []
            for try await (host, port) in try await connection.query(
                "SELECT nodename::text, nodeport FROM pg_catalog.pg_dist_node WHERE noderole = 'primary' AND groupid <> 0 AND isactive ORDER BY nodeid",
                logger: logger
            ).decode((String, Int).self) {
                workers.append("\(host):\(port)")
            }
            var tables: [CitusLayout.Table] = []
            let rows = try await connection.query(
                """
                SELECT c.relname::text,
                       coalesce(t.citus_table_type, 'local'),
                       nullif(t.distribution_column::text, '<none>'), t.colocation_id::int8, coalesce(t.shard_count, 0)::int8,
                       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
                FROM pg_class c
                LEFT JOIN citus_tables t ON t.table_name = c.oid::regclass
                WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
                ORDER BY 1
                """,
                logger: logger
            )
            for try await (name, kind, column, colocation, shards, keyed) in rows.decode((String, String, String?, Int64?, Int64, Bool).self) {
                tables.append(
                    .init(name: name, kind: kind, distributionColumn: column, colocationID: colocation.map(Int.init), shards: Int(shards), tenantKeyed: keyed)
                )
            }
            return CitusLayout(version: version, workers: workers, tables: tables)
        }
    }

    /// The worker (`host:port`) that holds `tenant`'s shards, on Citus.
    public func citusNode(tenant: String) async throws -> String? {
        let logger = self.logger
        return try await withConnection { connection in
            guard try await CitusDistribution.coordinator(on: connection, logger: logger) != nil else { return nil }
            let rows = try await connection.query(
                """
                SELECT n.nodename::text, n.nodeport
                FROM pg_catalog.pg_dist_placement p JOIN pg_catalog.pg_dist_node n ON n.groupid = p.groupid
                WHERE p.shardid = get_shard_id_for_distribution_column('usage_samples', \(tenant))
                LIMIT 1
                """,
                logger: logger
            )
            for try await (host, port) in rows.decode((String, Int).self) { return "\(host):\(port)" }
            return nil
        }
    }
}
