import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private PostgreSQL cluster owned by this process: created on first start, stopped on `stop()`,
/// and shut down by a watchdog if the process dies first.
public actor LocalPostgresCluster {
    private enum State {
        case stopped
        case starting(Task<PostgresConnectionInfo, any Error>)
        case running(RunningCluster)
        case stopping(Task<Void, any Error>)
    }

    /// The configuration in use, its data directory made absolute.
    public nonisolated let configuration: LocalPostgresConfiguration
    private let launcher: ClusterLauncher
    private var state: State = .stopped

    /// A cluster that is not started yet; nothing touches the disk before `start()`.
    public init(configuration: LocalPostgresConfiguration, logger: Logger) {
        self.init(configuration: configuration, logger: logger, ownerProcessID: getpid())
    }

    /// `ownerProcessID` stands in for this process in tests of the watchdog, which kill a stand-in owner.
    init(configuration: LocalPostgresConfiguration, logger: Logger, ownerProcessID: pid_t) {
        var configuration = configuration
        configuration.dataDirectory = FilePaths.absolute(configuration.dataDirectory)
        self.configuration = configuration
        self.launcher = ClusterLauncher(configuration: configuration, logger: logger, ownerProcessID: ownerProcessID)
    }

    /// How to connect while the cluster runs; nil otherwise.
    public var connectionInfo: PostgresConnectionInfo? {
        if case .running(let running) = state { return running.info }
        return nil
    }

    /// The postmaster's pid while the cluster runs.
    var postmasterProcessID: pid_t? {
        if case .running(let running) = state { return running.postmasterProcessID }
        return nil
    }

    /// Creates the cluster if needed, starts it, waits until it accepts connections and creates the
    /// database if missing. Concurrent callers share one start; a running cluster returns at once.
    public func start() async throws -> PostgresConnectionInfo {
        while true {
            switch state {
            case .running(let running):
                return running.info
            case .starting(let task):
                return try await task.value
            case .stopping(let task):
                _ = try? await task.value
            case .stopped:
                let task = Task { try await self.launchAndRecord() }
                state = .starting(task)
                return try await task.value
            }
        }
    }

    /// Shuts the server down (fast shutdown) and waits for it; removes an ephemeral cluster's files.
    /// Stopping a stopped cluster does nothing.
    public func stop() async throws {
        while true {
            switch state {
            case .stopped:
                return
            case .starting(let task):
                _ = try? await task.value
            case .stopping(let task):
                return try await task.value
            case .running(let running):
                let task = Task { try await self.shutdownAndRecord(running) }
                state = .stopping(task)
                return try await task.value
            }
        }
    }

    // State changes happen inside the tasks, so every caller awaiting one sees the same outcome.
    private func launchAndRecord() async throws -> PostgresConnectionInfo {
        do {
            let running = try await launcher.launch()
            state = .running(running)
            return running.info
        } catch {
            state = .stopped
            throw error
        }
    }

    private func shutdownAndRecord(_ running: RunningCluster) async throws {
        do {
            try await launcher.shutdown(running)
            state = .stopped
        } catch {
            state = .running(running)
            throw error
        }
    }
}

/// What a started cluster holds on to until it is stopped.
struct RunningCluster: Sendable {
    var info: PostgresConnectionInfo
    var paths: ClusterPaths
    var postmasterProcessID: pid_t
    var lock: DirectoryLock
    var watchdog: Watchdog
    var exitCleanupToken: UInt64
}
