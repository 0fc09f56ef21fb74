import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Stopping a postmaster by signal: the server runs as another user and is not our child, so
/// pg_ctl would add nothing, and signals also work from an atexit handler.
enum Postmaster {
    /// Fast shutdown (SIGINT), then immediate (SIGQUIT), then SIGKILL; returns once the process is gone.
    static func stop(processID: pid_t, dataDirectory: String, gracePeriod: Double = 60) throws {
        // A recycled pid must never receive our signals.
        guard ProcessTable.isPostgres(processID, servingDataDirectory: dataDirectory) else { return }
        let steps: [(signal: Int32, seconds: Double)] = [(SIGINT, gracePeriod), (SIGQUIT, 10), (SIGKILL, 5)]
        for step in steps {
            guard ProcessTable.isAlive(processID) else { return }
            kill(processID, step.signal)
            if ProcessTable.waitUntil(seconds: step.seconds, { !ProcessTable.isAlive(processID) }) { return }
        }
        throw LocalPostgresError.stopFailed(dataDirectory: dataDirectory, processID: processID)
    }

    /// Number of processes attached to a System V shared memory segment; 0 when it no longer exists.
    static func attachedProcesses(sharedMemoryID: Int32) -> Int {
        var status = shmid_ds()
        guard shmctl(sharedMemoryID, IPC_STAT, &status) == 0 else { return 0 }
        return Int(status.shm_nattch)
    }
}
