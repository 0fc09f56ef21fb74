import PostgresNIO

extension BudgetStore {
    /// The newest migration applied to the database, or nil when none is (or the ledger is missing).
    public func appliedMigrationVersion() async throws -> Int? {
        let logger = self.logger
        return try await withConnection { connection in
            do {
                let rows = try await connection.query("SELECT max(version) FROM schema_migrations", logger: logger)
                for try await version in rows.decode(Int?.self) { return version }
                return nil
            } catch let error as PSQLError where error.sqlState == "42P01" {  // undefined_table
                return nil
            }
        }
    }
}
