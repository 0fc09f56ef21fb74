import BudgetCore
import Foundation
import Logging
import PostgresNIO

extension BudgetStore {
    /// Creates or updates a configuration object (a new version when its content changed); audited.
    public func putConfig<Object: ConfigObject>(tenant: String, _ object: Object, actor: Principal) async throws -> ConfigWrite<Object> {
        let logger = self.logger
        return try await transaction("put-\(Object.kind.auditName)") { connection in
            try await Self.lockConfiguration(tenants: [tenant], on: connection, logger: logger)
            return try await Self.putConfig(tenant: tenant, object, actor: actor, on: connection, logger: logger)
        }
    }

    /// Takes the tenants' configuration generation rows (migration 018) before any configuration row, in the
    /// same order in every writer. The triggers that renew a tenant's generation lock its row until commit; a
    /// writer that locked a policy first and then met that row held by an `apply` which would reach the same
    /// policy next would deadlock with it. Taken first, the row makes a tenant's configuration writers wait
    /// for each other instead. The generation itself is left as it is (a write that changes nothing keeps
    /// every replica's copy valid).
    static func lockConfiguration(tenants: [String], on connection: PostgresConnection, logger: Logger) async throws {
        for tenant in Set(tenants).sorted() {
            try await connection.perform(
                """
                INSERT INTO config_generations AS g (tenant_id, generation) VALUES (\(tenant), (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
                ON CONFLICT (tenant_id) DO UPDATE SET generation = g.generation
                """,
                logger: logger
            )
        }
    }

    static func putConfig<Object: ConfigObject>(
        tenant: String, _ object: Object, actor: Principal, on connection: PostgresConnection, logger: Logger
    ) async throws -> ConfigWrite<Object> {
        let existing = try await loadConfig(Object.self, tenant: tenant, key: object.configKey, forUpdate: true, on: connection, logger: logger)
        var stored = object
        let write: ConfigWrite<Object>
        if let existing {
            if existing.sameContent(as: object) { return .unchanged(existing) }
            stored.version = existing.version + 1
            write = .updated(stored, changedFields: ConfigJSON.changedFields(from: try ConfigJSON.encode(existing), to: try ConfigJSON.encode(stored)))
        } else {
            stored.version = 1
            write = .created(stored)
        }
        let spec = try ConfigJSON.encode(stored)
        let columns = [("tenant_id", tenant)] + object.configKey.columns + object.indexedColumns
        let names = columns.map(\.0).joined(separator: ", ")
        var bindings = PostgresBindings()
        var placeholders: [String] = []
        for (index, column) in columns.enumerated() {
            bindings.append(column.1)
            placeholders.append(column.0 == "enforce" ? "$\(index + 1)::boolean" : "$\(index + 1)")
        }
        bindings.append(spec)
        bindings.append(stored.version)
        let keyNames = (["tenant_id"] + object.configKey.columns.map(\.name)).joined(separator: ", ")
        let updates = (object.indexedColumns.map(\.name) + ["spec", "version"]).map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        let sql = """
            INSERT INTO \(Object.kind.table) (\(names), spec, version, updated_at)
            VALUES (\(placeholders.joined(separator: ", ")), $\(columns.count + 1)::jsonb, $\(columns.count + 2), now())
            ON CONFLICT (\(keyNames)) DO UPDATE SET \(updates), updated_at = excluded.updated_at
            """
        try await connection.perform(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        try await appendAudit(
            AuditRecord(
                tenant: tenant, actor: actor, action: "\(Object.kind.auditName).\(existing == nil ? "create" : "update")",
                targetKind: Object.kind.auditName, target: object.configKey.description,
                before: try existing.map { try auditJSON($0) }, after: try auditJSON(stored)
            ),
            on: connection, logger: logger
        )
        return write
    }

    /// One configuration object, or nil.
    public func config<Object: ConfigObject>(_ type: Object.Type, tenant: String, key: ConfigKey) async throws -> Object? {
        let logger = self.logger
        return try await withConnection { connection in
            try await Self.loadConfig(type, tenant: tenant, key: key, forUpdate: false, on: connection, logger: logger)
        }
    }

    /// Every object of a kind for a tenant, ordered by key.
    public func configs<Object: ConfigObject>(_ type: Object.Type, tenant: String) async throws -> [Object] {
        let logger = self.logger
        return try await withConnection { connection in
            try await Self.loadConfigs(type, tenant: tenant, on: connection, logger: logger)
        }
    }

    /// Deletes an object; throws `notFound` when it does not exist. Audited.
    public func deleteConfig<Object: ConfigObject>(_ type: Object.Type, tenant: String, key: ConfigKey, actor: Principal) async throws -> Object {
        let logger = self.logger
        return try await transaction("delete-\(Object.kind.auditName)") { connection in
            try await Self.lockConfiguration(tenants: [tenant], on: connection, logger: logger)
            return try await Self.deleteConfig(type, tenant: tenant, key: key, actor: actor, on: connection, logger: logger)
        }
    }

    static func deleteConfig<Object: ConfigObject>(
        _ type: Object.Type, tenant: String, key: ConfigKey, actor: Principal, on connection: PostgresConnection, logger: Logger
    ) async throws -> Object {
        var bindings = PostgresBindings()
        bindings.append(tenant)
        var conditions = ["tenant_id = $1"]
        for column in key.columns {
            bindings.append(column.value)
            conditions.append("\(column.name) = $\(bindings.count)")
        }
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: "DELETE FROM \(Object.kind.table) WHERE \(conditions.joined(separator: " AND ")) RETURNING spec::text", binds: bindings),
            logger: logger
        )
        var deleted: Object?
        for try await spec in rows.decode(String.self) { deleted = try ConfigJSON.decode(Object.self, from: spec) }
        guard let deleted else {
            throw StoreError(.notFound, code: "not_found", message: "no \(Object.kind.auditName) \(key.description) for tenant \(tenant)")
        }
        try await appendAudit(
            AuditRecord(
                tenant: tenant, actor: actor, action: "\(Object.kind.auditName).delete", targetKind: Object.kind.auditName,
                target: key.description, before: try auditJSON(deleted), after: nil
            ),
            on: connection, logger: logger
        )
        return deleted
    }

    static func loadConfig<Object: ConfigObject>(
        _ type: Object.Type, tenant: String, key: ConfigKey, forUpdate: Bool, on connection: PostgresConnection, logger: Logger
    ) async throws -> Object? {
        var bindings = PostgresBindings()
        bindings.append(tenant)
        var conditions = ["tenant_id = $1"]
        for column in key.columns {
            bindings.append(column.value)
            conditions.append("\(column.name) = $\(bindings.count)")
        }
        let sql = "SELECT spec::text FROM \(Object.kind.table) WHERE \(conditions.joined(separator: " AND "))\(forUpdate ? " FOR UPDATE" : "")"
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        for try await spec in rows.decode(String.self) { return try ConfigJSON.decode(Object.self, from: spec) }
        return nil
    }

    static func loadConfigs<Object: ConfigObject>(
        _ type: Object.Type, tenant: String, on connection: PostgresConnection, logger: Logger
    ) async throws -> [Object] {
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT spec::text FROM \(Object.kind.table) WHERE tenant_id = $1", binds: { var b = PostgresBindings(); b.append(tenant); return b }()),
            logger: logger
        )
        var objects: [Object] = []
        for try await spec in rows.decode(String.self) { objects.append(try ConfigJSON.decode(Object.self, from: spec)) }
        return objects.sorted { $0.configKey < $1.configKey }
    }

    /// The audit copy of an object: secrets never reach the log.
    static func auditJSON<Object: ConfigObject>(_ object: Object) throws -> String {
        if var route = object as? AlertRoute {
            route.secret = route.secret.map { _ in "(redacted)" }
            return try ConfigJSON.encode(route)
        }
        return try ConfigJSON.encode(object)
    }
}
