import Foundation

/// Where and how a private PostgreSQL cluster runs.
public struct LocalPostgresConfiguration: Sendable {
    /// The PostgreSQL data directory, made absolute against the working directory.
    public var dataDirectory: String
    /// Whether the cluster is thrown away (data directory and its companion files removed) on stop or owner death.
    public var ephemeral: Bool
    /// Runs without `fsync`, `synchronous_commit` and `full_page_writes` (a crash may lose or corrupt data).
    /// Defaults to `ephemeral`: a throwaway test cluster only costs time with them. Benchmarks turn it off —
    /// asynchronous commit also delays hint bits, which changes how hot rows perform.
    public var relaxedDurability: Bool
    /// The loopback port to listen on; `nil` picks a free port at each start.
    public var port: Int?
    /// The superuser the cluster is created with, and the user of the connection.
    public var username: String
    /// The database created on start when missing.
    public var database: String
    /// The account that runs the server; `nil` means `postgres` when root, the current user otherwise.
    public var systemUser: String?
    /// How long a start may take before it fails with the tail of the server log.
    public var startupTimeout: Duration
    /// The server's `max_connections`: every client's pool together must stay under it.
    public var maximumConnections: Int
    /// More server settings, given on the command line (`-c name=value`): e.g. `shared_preload_libraries` for
    /// the nodes of a Citus cluster.
    public var settings: [String: String] = [:]

    /// A configuration for the cluster in `dataDirectory`.
    public init(
        dataDirectory: String = ".chartly/postgres",
        ephemeral: Bool = false,
        port: Int? = nil,
        username: String = "chartly",
        database: String = "chartly",
        systemUser: String? = nil,
        startupTimeout: Duration = .seconds(60),
        maximumConnections: Int = 200
    ) {
        self.dataDirectory = FilePaths.absolute(dataDirectory)
        self.ephemeral = ephemeral
        self.relaxedDurability = ephemeral
        self.port = port
        self.username = username
        self.database = database
        self.systemUser = systemUser
        self.startupTimeout = startupTimeout
        self.maximumConnections = maximumConnections
    }

    /// A throwaway cluster in a new directory under `$TMPDIR` (or `/tmp`), removed when stopped.
    public static func ephemeral(prefix: String = "chartly-postgres") -> Self {
        let environment = ProcessInfo.processInfo.environment
        let temporary = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        let suffix = String((0..<10).map { _ in alphabet.randomElement()! })
        return Self(dataDirectory: FilePaths.join(temporary, "\(prefix)-\(suffix)"), ephemeral: true)
    }

    func validate() throws {
        if let port, !(1...65535).contains(port) {
            throw LocalPostgresError.invalidConfiguration("port \(port) is outside 1...65535")
        }
        if !(10...10_000).contains(maximumConnections) {
            throw LocalPostgresError.invalidConfiguration("maximumConnections \(maximumConnections) is outside 10...10000")
        }
        for (field, value) in [("username", username), ("database", database)] where value.isEmpty {
            throw LocalPostgresError.invalidConfiguration("\(field) is empty")
        }
        if FilePaths.absolute(dataDirectory) == "/" {
            throw LocalPostgresError.invalidConfiguration("the data directory cannot be /")
        }
    }
}
