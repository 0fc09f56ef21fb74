import BudgetCore
import Foundation
import Logging
import NIOSSL
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The PostgreSQL-backed store: a connection pool plus the repositories in `Store+*.swift`.
///
/// Run it as a service (it owns the pool's background work); every method scopes its queries by tenant.
public final class BudgetStore: Sendable, Service {
    public let client: PostgresClient
    public let url: DatabaseURL
    let logger: Logger
    /// How long a caller waits for a connection before the store answers "unavailable".
    let acquireTimeout: Duration
    let partitions: PartitionCache
    /// Fails work on connections the server closed (see `ConnectionWatch`).
    let watch: ConnectionWatch
    /// Why connecting fails, asked at most once per 5 seconds (see `connectionFailure`).
    let probe = ConnectionProbe()
    /// A tenant's concurrent decisions share transactions, at most a few at once; concurrent scale-ups of one
    /// environment wait in line there, not on its row lock holding a connection (see `DecisionBatcher`).
    let decisions: DecisionBatcher
    /// Each environment's and service's configuration as its decisions last read it, by generation (see
    /// `DecisionConfigs`). Per store: generations are one database's.
    let decisionConfigs = DecisionConfigs()
    /// Each tenant's Kubernetes bindings as the webhook last read them, by generation (see `KubernetesBindingCache`).
    let kubernetesBindingCache = KubernetesBindingCache()
    /// Plain PostgreSQL or Citus, asked once (see `DatabaseEngine`).
    let engineCache = EngineCache()

    /// - Parameter scaleUpLineBound: how long a scale-up waits behind others of its environment in this process
    ///   before it goes to the database anyway (see `DecisionBatcher`).
    /// - Parameter decisionTransactionsPerTenant: how many transactions of one tenant's decisions run at once;
    ///   decisions that arrive meanwhile share the next one (see `DecisionBatcher`).
    public init(
        url: DatabaseURL, maximumConnections: Int = 20, acquireTimeout: Duration = .seconds(5), scaleUpLineBound: Duration = .seconds(2),
        decisionTransactionsPerTenant: Int = 4, logger: Logger
    ) {
        self.url = url
        self.logger = logger
        self.acquireTimeout = acquireTimeout
        self.client = PostgresClient(
            configuration: url.clientConfiguration(maximumConnections: maximumConnections),
            backgroundLogger: logger
        )
        self.partitions = PartitionCache()
        self.watch = ConnectionWatch()
        self.decisions = DecisionBatcher(maximumInFlight: decisionTransactionsPerTenant, maximumLineWait: scaleUpLineBound, logger: logger)
    }

    public func run() async throws {
        await client.run()
    }

    /// Runs `body` in one transaction; retries serialization failures and deadlocks a few times.
    func transaction<Result: Sendable>(
        _ name: String,
        attempts: Int = 4,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        var attempt = 1
        let logger = self.logger
        while true {
            do {
                return try await withConnection { connection in
                    try await connection.perform("BEGIN", logger: logger)
                    do {
                        let result = try await body(connection)
                        try await connection.perform("COMMIT", logger: logger)
                        return result
                    } catch {
                        // A connection the server closed has rolled back by itself, and a query sent on it would
                        // never be answered (the lease, and a graceful shutdown, would wait forever): only a live
                        // connection gets a ROLLBACK, and that one is bounded too.
                        if let failure = error as? PSQLError, failure.isConnectionFailure { throw error }
                        await Self.rollback(connection, logger: logger)
                        throw error
                    }
                }
            } catch let error as PSQLError where error.isRetryable && attempt < attempts {
                logger.debug("retrying transaction", metadata: ["transaction": "\(name)", "sqlstate": "\(error.sqlState ?? "")"])
            } catch let error as RetryTransaction where attempt < attempts {
                logger.debug("retrying transaction", metadata: ["transaction": "\(name)", "reason": "\(error.reason)"])
            }
            attempt += 1
        }
    }

    /// ROLLBACK, or, when the connection does not answer within `limit`, closes it (the server then rolls
    /// the transaction back itself).
    static func rollback(_ connection: PostgresConnection, limit: Duration = .seconds(5), logger: Logger) async {
        enum Outcome: Sendable { case answered, timedOut }
        await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                _ = try? await connection.perform("ROLLBACK", logger: logger)
                return .answered
            }
            group.addTask {
                do {
                    try await Task.sleep(for: limit)
                    return .timedOut
                } catch {
                    return .answered
                }
            }
            if await group.next() == .timedOut {
                logger.warning("ROLLBACK was not answered; closing the connection")
                try? await connection.close()
            }
            group.cancelAll()
        }
    }

    /// Leases a connection, answering `unavailable` when none can be had within the acquire timeout.
    ///
    /// Only the wait for a connection is bounded; the work itself runs as long as it needs.
    func withConnection<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        let acquired = AcquiredFlag()
        do {
            return try await withThrowingTaskGroup(of: Result?.self) { group in
                let client = self.client
                let watch = self.watch
                group.addTask {
                    try await client.withConnection { connection in
                        acquired.set()
                        return try await watch.run(on: connection) { try await body(connection) }
                    }
                }
                let timeout = acquireTimeout
                let url = self.url
                let logger = self.logger
                let probe = self.probe
                group.addTask {
                    try await Task.sleep(for: timeout)
                    if acquired.isSet { return nil }
                    let reason = await probe.reason(url: url, logger: logger).map { ": \($0)" } ?? ""
                    throw StoreError.unavailable("no database connection within \(timeout)\(reason)")
                }
                while let next = try await group.next() {
                    if let result = next {
                        group.cancelAll()
                        return result
                    }
                }
                throw CancellationError()
            }
        } catch let error as PSQLError where error.isConnectionFailure {
            throw StoreError.unavailable(error.code.description)
        } catch let error as ConnectionClosed {
            throw StoreError.unavailable(error.description)
        } catch let error as PSQLError where error.sqlState == "57014" {
            throw StoreError(.unavailable, code: "timeout", message: "the database did not answer in time; retry later")
        } catch where !acquired.isSet && !(error is StoreError) && !(error is CancellationError) {
            // No connection was ever leased: the pool gave up (its circuit breaker after failed connects) or was
            // shut down. Say why connecting fails, if it does, rather than the pool's internal error.
            let reason = await probe.reason(url: url, logger: logger) ?? "\(error)"
            throw StoreError.unavailable("cannot connect to \(url.description): \(reason)")
        }
    }

    /// Why a new connection to `url` fails right now (the server's message, e.g. `role "x" does not exist`,
    /// or the network error), or nil when one can be made. The pool logs these only at `info`; an operator
    /// who mistyped the URL should read the reason in the error itself.
    public static func connectionFailure(url: DatabaseURL, logger: Logger) async -> String? {
        var tls = PostgresConnection.Configuration.TLS.disable
        if url.requireTLS {
            guard let context = try? NIOSSLContext(configuration: .makeClientConfiguration()) else { return "no TLS context could be made" }
            tls = .require(context)
        }
        let configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password, database: url.database, tls: tls
        )
        do {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            try? await connection.close()
            return nil
        } catch let error as PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            return error.underlying.map { String(describing: $0) } ?? error.code.description
        } catch {
            return String(describing: error)
        }
    }
}

/// Asks why connecting fails for errors that would otherwise only say that no connection came: at most one
/// attempt at a time and one per 5 seconds, so a burst of timed-out requests on a saturated pool does not
/// open a connection each against a database that is already struggling.
final class ConnectionProbe: Sendable {
    private struct State {
        var last: ContinuousClock.Instant?
        var reason: String?
        var running = false
    }

    private let state = Mutex(State())

    func reason(url: DatabaseURL, logger: Logger) async -> String? {
        let start = state.withLock { state -> Bool in
            if state.running { return false }
            if let last = state.last, ContinuousClock.now - last < .seconds(5) { return false }
            state.running = true
            return true
        }
        guard start else { return state.withLock { $0.reason } }
        let reason = await BudgetStore.connectionFailure(url: url, logger: logger)
        state.withLock { $0 = State(last: .now, reason: reason, running: false) }
        return reason
    }
}

/// Thrown inside a transaction to run it again from the start (e.g. a concurrent writer won a race).
struct RetryTransaction: Error {
    var reason: String
}

/// Set once a connection was leased, so the acquire timeout knows to stand down.
private final class AcquiredFlag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
