import Foundation

/// How to reach a running local cluster.
public struct PostgresConnectionInfo: Sendable, Equatable {
    /// The address the server listens on (loopback).
    public var host: String
    /// The TCP port the server listens on.
    public var port: Int
    /// The superuser name.
    public var username: String
    /// The superuser password.
    public var password: String
    /// The database created for the caller.
    public var database: String

    /// Connection details of a running cluster.
    public init(host: String, port: Int, username: String, password: String, database: String) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// `postgres://user:password@host:port/database`, each part percent-encoded.
    public var url: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(Self.encode(username)):\(Self.encode(password))@\(hostPart):\(port)/\(Self.encode(database))"
    }

    // Only RFC 3986 unreserved characters pass unencoded, so a name with `@`, `:` or `/` stays one component.
    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    )

    private static func encode(_ component: String) -> String {
        component.addingPercentEncoding(withAllowedCharacters: unreserved) ?? component
    }
}
