import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The steps that start and stop a cluster; `LocalPostgresCluster` serialises calls to it.
struct ClusterLauncher: Sendable {
    let configuration: LocalPostgresConfiguration
    let logger: Logger
    let ownerProcessID: pid_t

    var paths: ClusterPaths { ClusterPaths(dataDirectory: configuration.dataDirectory) }

    /// Files removed with an ephemeral cluster, the lock file last of all.
    var disposableFiles: [String] {
        configuration.ephemeral ? paths.ephemeralFiles + [paths.lockFile] : []
    }

    func launch() async throws -> RunningCluster {
        try configuration.validate()
        let user = try SystemUser.resolve(configured: configuration.systemUser)
        try FileSystem.createDirectories(paths.parent, mode: 0o755)
        let lock = try await acquireLock()
        let watchdog: Watchdog
        do {
            if configuration.ephemeral { try checkDisposable() }
            // Started before anything it might have to undo exists: from here on, our death is covered.
            watchdog = try await Watchdog.spawn(
                ownerProcessID: ownerProcessID, dataDirectory: paths.dataDirectory,
                lockFile: paths.lockFile, removeWhenOwnerDies: disposableFiles
            )
        } catch {
            lock.release()
            throw error
        }
        do {
            return try await startCluster(user: user, lock: lock, watchdog: watchdog)
        } catch {
            await Self.cancel(watchdog)
            if configuration.ephemeral { try? FileSystem.removeItems(disposableFiles) }
            lock.release()
            throw error
        }
    }

    /// Everything between taking ownership and a server that accepts connections.
    private func startCluster(user: SystemUser, lock: DirectoryLock, watchdog: Watchdog) async throws -> RunningCluster {
        let paths = self.paths
        let logger = self.logger
        try await Offload.run { try StaleServer.recover(paths: paths, logger: logger) }
        if configuration.ephemeral { try FileSystem.removeItems(paths.ephemeralFiles) }
        let version = FileSystem.readText(paths.versionFile)?.trimmingCharacters(in: .whitespacesAndNewlines)
        let binaries = try await PostgresBinaries.locate(preferredMajorVersion: version)
        try await user.checkCanReach(paths.dataDirectory)
        let password = try await prepareDataDirectory(user: user, binaries: binaries)
        try prepareLogFile(user: user)
        let server = try await startServer(user: user, binaries: binaries)
        do {
            let info = PostgresConnectionInfo(
                host: "127.0.0.1", port: server.port, username: configuration.username,
                password: password, database: configuration.database
            )
            try await waitUntilReady(info, binaries: binaries, logOffset: server.logOffset)
            try await createDatabaseIfMissing(info, binaries: binaries)
            let token = ExitCleanup.register(.init(
                postmasterProcessID: server.processID, dataDirectory: paths.dataDirectory,
                removeAfterStop: disposableFiles, watchdog: watchdog
            ))
            logger.info(
                "PostgreSQL started",
                metadata: [
                    "data_directory": "\(paths.dataDirectory)", "port": "\(server.port)",
                    "pid": "\(server.processID)", "system_user": "\(user.name)",
                ]
            )
            return RunningCluster(
                info: info, paths: paths, postmasterProcessID: server.processID,
                lock: lock, watchdog: watchdog, exitCleanupToken: token
            )
        } catch {
            try? await Offload.run {
                try Postmaster.stop(processID: server.processID, dataDirectory: paths.dataDirectory, gracePeriod: 10)
            }
            throw error
        }
    }

    func shutdown(_ running: RunningCluster) async throws {
        let dataDirectory = running.paths.dataDirectory
        try await Offload.run {
            try Postmaster.stop(processID: running.postmasterProcessID, dataDirectory: dataDirectory)
        }
        ExitCleanup.unregister(running.exitCleanupToken)
        await Self.cancel(running.watchdog)
        if configuration.ephemeral { try FileSystem.removeItems(disposableFiles) }
        running.lock.release()
        logger.info("PostgreSQL stopped", metadata: ["data_directory": "\(dataDirectory)"])
    }

    private static func cancel(_ watchdog: Watchdog) async {
        _ = try? await Offload.run { watchdog.cancel() }
    }

    /// Takes the data directory's lock, waiting a little for holders that are about to let go:
    /// a dead owner's watchdog keeps it for the seconds its cleanup takes, and a child being spawned
    /// by any thread of the previous owner holds a copy of a just-released lock until it execs.
    /// A live owner is reported after a short grace period.
    private func acquireLock() async throws -> DirectoryLock {
        let start = ContinuousClock.now
        while true {
            switch try DirectoryLock.acquire(path: paths.lockFile, ownerProcessID: ownerProcessID) {
            case .acquired(let lock):
                return lock
            case .busy(let owner):
                let ownerIsAlive = owner.map(ProcessTable.isAlive) ?? true
                let patience: Duration = ownerIsAlive ? .seconds(2) : .seconds(30)
                guard ContinuousClock.now - start < patience else {
                    throw LocalPostgresError.alreadyInUse(
                        dataDirectory: paths.dataDirectory, ownerProcessID: owner, lockFile: paths.lockFile
                    )
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// An ephemeral cluster is removed wholesale, so its directory must hold a cluster or nothing.
    private func checkDisposable() throws {
        let directory = paths.dataDirectory
        guard FileSystem.exists(directory), !FileSystem.exists(paths.versionFile),
              !FileSystem.isEmptyDirectory(directory) else { return }
        throw LocalPostgresError.notADataDirectory(directory)
    }
}
