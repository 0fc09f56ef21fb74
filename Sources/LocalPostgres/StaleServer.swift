import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Clears what a crashed owner left behind, so the next start needs no manual steps.
enum StaleServer {
    /// Called with the directory lock held: whoever started a server found here is gone.
    static func recover(paths: ClusterPaths, logger: Logger) throws {
        let dataDirectory = paths.dataDirectory
        guard let pidFile = PostmasterPIDFile.read(dataDirectory: dataDirectory) else { return }
        if ProcessTable.isPostgres(pidFile.processID, servingDataDirectory: dataDirectory) {
            // Its owner's watchdog stands down once it sees the lock taken, so the server is ours to stop.
            logger.warning(
                "Stopping the PostgreSQL server a previous owner left running",
                metadata: ["pid": "\(pidFile.processID)", "data_directory": "\(dataDirectory)"]
            )
            try Postmaster.stop(processID: pidFile.processID, dataDirectory: dataDirectory)
            guard FileSystem.exists(PostmasterPIDFile.path(in: dataDirectory)) else { return }
        }
        // Backends of a killed postmaster exit on their own within moments; starting a new server while
        // one of them can still write would corrupt the cluster, so wait until none is attached.
        if let memory = pidFile.sharedMemoryID {
            let detached = ProcessTable.waitUntil(seconds: 15) {
                Postmaster.attachedProcesses(sharedMemoryID: memory) == 0
            }
            guard detached else {
                throw LocalPostgresError.staleServerStillRunning(dataDirectory: dataDirectory, sharedMemoryID: memory)
            }
        }
        logger.notice(
            "Removing a stale postmaster.pid",
            metadata: ["pid": "\(pidFile.processID)", "data_directory": "\(dataDirectory)"]
        )
        let path = PostmasterPIDFile.path(in: dataDirectory)
        if unlink(path) != 0 && errno != ENOENT {
            throw LocalPostgresError.fileSystem("remove", path, errno: errno)
        }
    }
}
