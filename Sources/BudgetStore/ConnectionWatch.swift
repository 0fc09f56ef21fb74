
import PostgresNIO
import Synchronization

/// Fails the work on a connection the server closed, even when PostgresNIO loses the query in flight.
///
/// PostgresNIO 1.33.2 can leave a query unanswered forever when the server terminates the connection just as
/// the query is sent (a PostgreSQL restart or failover: `57P01 terminating connection due to administrator
/// command`; upstream vapor/postgres-nio#599). The request holding it would never answer, its lease would never
/// return, and a graceful shutdown would wait for it forever. Every lease therefore runs its body here: when the
/// connection's channel closes and the body has not finished shortly after, the caller gets `unavailable` and
/// the body is abandoned (it is suspended on a promise nothing will complete; its connection is gone).
///
/// One close callback per connection, not per lease, so a long-lived connection collects nothing.
final class ConnectionWatch: Sendable {
    /// How long a body may still finish by itself once its connection closed (a query failing with the
    /// server's own error gives the better message).
    static let grace: TimeAmount = .milliseconds(250)

    private struct Entry {
        var abandon: (@Sendable () -> Void)?
    }

    private let entries = Mutex<[PostgresConnection.ID: Entry]>([:])

    func run<Result: Sendable>(
        on connection: PostgresConnection,
        _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        let outcome = Outcome<Result>()
        let id = connection.id
        let isNew = entries.withLock { entries in
            let isNew = entries[id] == nil
            entries[id, default: Entry()].abandon = { outcome.fail(ConnectionClosed()) }
            return isNew
        }
        if isNew {
            connection.closeFuture.whenComplete { _ in
                connection.eventLoop.scheduleTask(in: Self.grace) { self.closed(id) }
            }
        }
        if connection.isClosed {
            // Closed before the callback was installed or while registering: the callback still fires (a
            // completed future runs it at once), so only make sure not to start work on it.
            _ = entries.withLock { $0[id]?.abandon = nil }
            throw ConnectionClosed()
        }
        let work = Task {
            do {
                outcome.succeed(try await body())
            } catch {
                outcome.fail(error)
            }
            self.entries.withLock { $0[id]?.abandon = nil }
        }
        return try await withTaskCancellationHandler {
            try await outcome.value
        } onCancel: {
            work.cancel()
        }
    }

    private func closed(_ id: PostgresConnection.ID) {
        let abandon = entries.withLock { $0.removeValue(forKey: id)?.abandon }
        abandon?()
    }
}

/// The connection closed while work on it was still waiting for the database.
struct ConnectionClosed: Error, CustomStringConvertible {
    var description: String { "the database closed the connection while a query was in flight" }
}

/// A result delivered once, by the work or by the watch, whichever comes first.
private final class Outcome<Value: Sendable>: Sendable {
    private enum State {
        case pending([CheckedContinuation<Value, any Error>])
        case done(Result<Value, any Error>)
    }

    private let state = Mutex(State.pending([]))

    func succeed(_ value: Value) { finish(.success(value)) }
    func fail(_ error: any Error) { finish(.failure(error)) }

    private func finish(_ result: Result<Value, any Error>) {
        let waiting: [CheckedContinuation<Value, any Error>] = state.withLock { state in
            guard case .pending(let waiting) = state else { return [] }
            state = .done(result)
            return waiting
        }
        for continuation in waiting { continuation.resume(with: result) }
    }

    var value: Value {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                let result: Result<Value, any Error>? = state.withLock { state in
                    switch state {
                    case .pending(let waiting):
                        state = .pending(waiting + [continuation])
                        return nil
                    case .done(let result):
                        return result
                    }
                }
                if let result { continuation.resume(with: result) }
            }
        }
    }
}
