import Foundation
import PostgresNIO

/// Where the database is: parsed from a `postgres://user:password@host:port/database` URL.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    /// `sslmode=require` in the query string requires TLS; otherwise it is not used.
    public var requireTLS: Bool

    public init(host: String, port: Int = 5432, username: String, password: String?, database: String, requireTLS: Bool = false) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.requireTLS = requireTLS
    }

    /// Parses a `postgres://` or `postgresql://` URL; throws naming what is wrong.
    public init(_ text: String) throws {
        guard let components = URLComponents(string: text),
            let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql"
        else {
            throw DatabaseURLError(message: "DATABASE_URL must look like postgres://user:password@host:port/database")
        }
        guard let host = components.host, !host.isEmpty else {
            throw DatabaseURLError(message: "DATABASE_URL has no host")
        }
        guard let user = components.user, !user.isEmpty else {
            throw DatabaseURLError(message: "DATABASE_URL has no user name")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty else {
            throw DatabaseURLError(message: "DATABASE_URL has no database name (the path after the host)")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.removingPercentEncoding ?? database
        self.requireTLS = components.queryItems?.contains { $0.name == "sslmode" && $0.value == "require" } ?? false
    }

    /// The same server with another database.
    public func with(database: String) -> DatabaseURL {
        var copy = self
        copy.database = database
        return copy
    }

    /// The URL text, password included (for child processes; never log it).
    public var urlString: String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.user = username
        components.password = password
        components.host = host
        components.port = port
        components.path = "/" + database
        if requireTLS { components.queryItems = [URLQueryItem(name: "sslmode", value: "require")] }
        return components.string ?? ""
    }

    /// The URL without its password, for logs.
    public var description: String { "postgres://\(username)@\(host):\(port)/\(database)" }

    /// A PostgresNIO client configuration for this URL.
    public func clientConfiguration(maximumConnections: Int, statementTimeoutSeconds: Int = 30) -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host,
            port: port,
            username: username,
            password: password,
            database: database,
            tls: requireTLS ? .require(.makeClientConfiguration()) : .disable
        )
        configuration.options.maximumConnections = maximumConnections
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(5)
        // Bounds every query so a stuck one cannot hold a request (and a connection) forever.
        configuration.options.additionalStartupParameters = [
            ("application_name", "chartly-budget"),
            ("timezone", "UTC"),
            ("statement_timeout", "\(statementTimeoutSeconds)s"),
        ]
        return configuration
    }
}

/// A DATABASE_URL that cannot be used.
public struct DatabaseURLError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
