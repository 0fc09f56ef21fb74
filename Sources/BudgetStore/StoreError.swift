import PostgresNIO

/// What went wrong in the store, in terms the API can answer with.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The database cannot be reached or is shutting down: retry later.
        case unavailable
        /// The write contradicts data already stored.
        case conflict
        /// The object does not exist (or belongs to another tenant).
        case notFound
        /// The request is well-formed but not acceptable in the current state.
        case unprocessable
        /// A bug or an unexpected database answer.
        case internalError
    }

    public var kind: Kind
    public var code: String
    public var message: String
    public var field: String?

    public init(_ kind: Kind, code: String, message: String, field: String? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String { "\(code): \(message)" }

    static func unavailable(_ detail: String) -> StoreError {
        StoreError(.unavailable, code: "database_unavailable", message: "the database is unavailable: \(detail)")
    }
}

extension PSQLError {
    /// The five-character SQLSTATE the server sent, if any.
    var sqlState: String? { serverInfo?[.sqlState] }

    /// Whether the failure is about reaching the server rather than about the query.
    var isConnectionFailure: Bool {
        switch code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
            .failedToAddSSLHandler, .sslUnsupported:
            return true
        case .server:
            // 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 08* connection exceptions.
            guard let state = sqlState else { return false }
            return state.hasPrefix("57P") || state.hasPrefix("08") || state == "53300"
        default:
            return false
        }
    }

    /// Serialization failures and deadlocks: the transaction can simply be run again.
    var isRetryable: Bool {
        sqlState == "40001" || sqlState == "40P01"
    }
}

/// What the database said, for operators: its message, SQLSTATE, detail, hint and context, and the statement
/// that failed. PostgresNIO's own description of an error is deliberately generic ("to prevent accidental
/// leakage"); start-up failures and server logs need the real cause. Never sent to API clients.
public func describeDatabaseError(_ error: any Error) -> String {
    guard let error = error as? PSQLError else {
        if let error = error as? MigrationError { return error.description }
        return String(describing: error)
    }
    guard let info = error.serverInfo else {
        let underlying = error.underlying.map { ": \(String(describing: $0))" } ?? ""
        return "database error \(error.code)\(underlying)"
    }
    var text = info[.message] ?? "database error"
    if let state = info[.sqlState] { text += " (SQLSTATE \(state))" }
    if let detail = info[.detail] { text += "; detail: \(detail)" }
    if let hint = info[.hint] { text += "; hint: \(hint)" }
    if let context = info[.locationContext] { text += "; context: \(context.replacingOccurrences(of: "\n", with: " / "))" }
    if let query = error.query {
        // One line, without the comment lines a migration file puts before its statements.
        let sql = query.sql.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("--") }.joined(separator: " ")
        text += "; statement: \(sql.count > 600 ? String(sql.prefix(600)) + "…" : sql)"
    }
    return text
}
