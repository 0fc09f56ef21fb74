import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A detached shell loop that shuts the postmaster down (and removes an ephemeral cluster) once the
/// owning process is gone, whether it exited, crashed or was killed with SIGKILL.
struct Watchdog: Sendable {
    let processID: pid_t

    /// Starts the watchdog in its own session, so a Ctrl-C or hang-up aimed at the owner's terminal
    /// leaves it alive to clean up after the owner.
    static func spawn(
        ownerProcessID: pid_t,
        dataDirectory: String,
        lockFile: String,
        removeWhenOwnerDies: [String]
    ) async throws -> Watchdog {
        try await Offload.run {
            try spawnBlocking(
                ownerProcessID: ownerProcessID, dataDirectory: dataDirectory,
                lockFile: lockFile, removeWhenOwnerDies: removeWhenOwnerDies
            )
        }
    }

    /// Ends the watchdog after a normal stop; it must not outlive the cluster it guards.
    func cancel() {
        // It may have finished on its own already; a recycled pid must not be signalled.
        if let commandLine = ProcessTable.commandLine(of: processID), !commandLine.contains(Self.name) { return }
        kill(processID, SIGTERM)
        _ = ProcessTable.waitUntil(seconds: 2) { !ProcessTable.isAlive(processID) }
    }

    private static func spawnBlocking(
        ownerProcessID: pid_t,
        dataDirectory: String,
        lockFile: String,
        removeWhenOwnerDies: [String]
    ) throws -> Watchdog {
        let ownerStart = ProcessTable.startTime(of: ownerProcessID) ?? ""
        let scriptArguments = [name, "\(ownerProcessID)", ownerStart, dataDirectory, lockFile] + removeWhenOwnerDies
        // Either way the process we spawn exits at once and is reaped here, and the watchdog lives on
        // as an orphan: never our child, so never our zombie.
        let command: Command
        if let setsid = ["/usr/bin/setsid", "/bin/setsid"].first(where: { (path: String) in access(path, X_OK) == 0 }) {
            command = Command(executable: setsid, arguments: ["--fork", "/bin/sh", "-c", script] + scriptArguments)
        } else {
            let background = #"/bin/sh -c "$0" "$@" &"#
            command = Command(executable: "/bin/sh", arguments: ["-c", background, script] + scriptArguments)
        }
        let (processID, output) = try ProcessRunner.spawnLock.withLock {
            let output = try ChildProcess.makePipe()
            let nullDevice = try ChildProcess.openNullDevice()
            defer {
                close(output.write)
                close(nullDevice)
            }
            do {
                let processID = try ChildProcess.spawn(
                    command, standardInput: nullDevice, standardOutput: output.write, standardError: nullDevice
                )
                return (processID, output.read)
            } catch {
                close(output.read)
                throw error
            }
        }
        // The script's first line is its own pid; the process we spawned is only its launcher.
        let reader = FileHandle(fileDescriptor: output, closeOnDealloc: true)
        var announced = Data()
        while !announced.contains(UInt8(ascii: "\n")) {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            announced.append(chunk)
        }
        try? reader.close()
        _ = ChildProcess.waitForExit(processID)
        let text = String(decoding: announced, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let watchdogID = pid_t(text), watchdogID > 1 else {
            throw LocalPostgresError.launchFailed(command: command.displayText, reason: "the watchdog did not report its pid")
        }
        return Watchdog(processID: watchdogID)
    }

    private static let name = "chartly-postgres-watchdog"

    // Arguments: owner pid, owner start time (empty without /proc), data directory, lock file, then the
    // paths to remove once the owner is gone. The start time tells a recycled pid from the owner.
    // Only builtins decide whether the owner lives: a failed fork must never read as its death, and
    // every doubt counts as alive. The lock guards against a new owner: if another process holds it
    // (and it is not held on behalf of the dead owner), that process owns the cluster now.
    private static let script = #"""
        trap '' INT HUP TSTP TTIN TTOU
        echo $$
        exec </dev/null >/dev/null 2>&1
        owner=$1 owner_start=$2 data=$3 lock=$4
        shift 4
        owner_alive() {
            if [ -z "$owner_start" ]; then
                kill -0 "$owner" 2>/dev/null
            elif { read -r stat < "/proc/$owner/stat"; } 2>/dev/null; then
                set -- ${stat##*) }
                [ "$1" != Z ] && [ "${20}" = "$owner_start" ]
            else
                [ -d "/proc/$owner" ]
            fi
        }
        is_postmaster() {
            kill -0 "$1" 2>/dev/null || return 1
            [ -d "/proc/$1" ] || return 0
            { read -r stat < "/proc/$1/stat"; } 2>/dev/null || return 1
            case $stat in *"(postgres) "*|*"(postmaster) "*) ;; *) return 1 ;; esac
            set -- ${stat##*) }
            [ "$1" != Z ]
        }
        signal_and_wait() {
            kill -s "$1" "$pm" 2>/dev/null
            n=0
            while is_postmaster "$pm" && [ "$n" -lt "$2" ]; do sleep 0.1; n=$((n + 1)); done
        }
        while owner_alive; do sleep 0.5; done
        if command -v flock >/dev/null 2>&1; then
            exec 9<"$lock" || exit 0
            if ! flock -n 9; then
                { read -r recorded < "$lock"; } 2>/dev/null
                [ "$recorded" = "$owner" ] || exit 0
            fi
        fi
        pm=
        { read -r pm < "$data/postmaster.pid"; } 2>/dev/null
        if [ -n "$pm" ] && is_postmaster "$pm"; then
            signal_and_wait INT 600
            is_postmaster "$pm" && signal_and_wait QUIT 100
            is_postmaster "$pm" && signal_and_wait KILL 50
        fi
        [ "$#" -gt 0 ] && rm -rf -- "$@"
        exit 0
        """#
}
