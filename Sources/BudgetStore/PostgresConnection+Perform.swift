import Logging
import PostgresNIO

extension PostgresConnection {
    /// Runs a statement to completion, reading every row it returns.
    ///
    /// PostgresNIO hands back a row sequence as soon as the rows' description arrives; an error raised while
    /// the statement executes (a unique violation in a data-modifying CTE, say) only surfaces while the rows
    /// are read. A statement whose rows nobody reads would fail silently and leave the transaction aborted —
    /// so every statement run for its effect goes through here.
    public func perform(_ query: PostgresQuery, logger: Logger) async throws {
        let rows = try await self.query(query, logger: logger)
        for try await _ in rows {}
    }
}

extension PostgresClient {
    /// `PostgresConnection.perform` on a pooled connection.
    public func perform(_ query: PostgresQuery) async throws {
        let rows = try await self.query(query)
        for try await _ in rows {}
    }
}
