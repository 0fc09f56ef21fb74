import Foundation

/// Why a local PostgreSQL cluster could not be started or stopped; the message names the directory or command at fault.
public struct LocalPostgresError: Error, CustomStringConvertible, Sendable {
    private enum Kind: Sendable {
        case invalidConfiguration(String)
        case binariesNotFound(searched: [String], fromEnvironment: String?)
        case systemUserNotFound(String)
        case systemUserIsRoot(String)
        case cannotSwitchUser(wanted: String, current: String)
        case userSwitchToolMissing(String)
        case directoryNotTraversable(directory: String, user: String, dataDirectory: String)
        case alreadyInUse(dataDirectory: String, ownerProcessID: Int32?, lockFile: String)
        case notADataDirectory(String)
        case wrongOwner(dataDirectory: String, ownerUID: UInt32, expectedUser: String)
        case passwordFileMissing(passwordFile: String, dataDirectory: String)
        case launchFailed(command: String, reason: String)
        case commandFailed(command: String, status: Int32, standardError: String)
        case fileSystem(operation: String, path: String, reason: String)
        case staleServerStillRunning(dataDirectory: String, sharedMemoryID: Int32)
        case startFailed(dataDirectory: String, details: String, logFile: String, logTail: String)
        case notReady(dataDirectory: String, port: Int, seconds: Int, logFile: String, logTail: String)
        case stopFailed(dataDirectory: String, processID: Int32)
    }

    private let kind: Kind

    private init(_ kind: Kind) {
        self.kind = kind
    }

    /// The message, naming the directory or command at fault and quoting the tool's own words.
    public var description: String {
        switch kind {
        case .invalidConfiguration(let message):
            return "Invalid local PostgreSQL configuration: \(message)"
        case .binariesNotFound(let searched, let fromEnvironment):
            let location = fromEnvironment.map { "in CHARTLY_PG_BINDIR=\($0)" }
                ?? "(looked in: \(searched.isEmpty ? "nothing to search" : searched.joined(separator: ", ")))"
            return "PostgreSQL server programs (initdb, pg_ctl, postgres) were not found \(location). "
                + "Install the `postgresql` package (e.g. `apt-get install postgresql`), point CHARTLY_PG_BINDIR "
                + "at the directory that holds them, or set DATABASE_URL to use an existing server."
        case .systemUserNotFound(let name):
            return "PostgreSQL refuses to run as root, and there is no system user `\(name)` to run it as. "
                + "Install the `postgresql` package (it creates the `postgres` user) or configure another "
                + "unprivileged user."
        case .systemUserIsRoot(let name):
            return "PostgreSQL refuses to run as root, and the configured system user `\(name)` is root. "
                + "Configure an unprivileged user."
        case .cannotSwitchUser(let wanted, let current):
            return "Cannot run PostgreSQL as `\(wanted)`: this process runs as `\(current)`, and only root can "
                + "switch users. Leave the system user unset to run it as `\(current)`."
        case .userSwitchToolMissing(let user):
            return "Cannot run PostgreSQL as `\(user)`: neither `setpriv` nor `runuser` (package util-linux) "
                + "was found."
        case .directoryNotTraversable(let directory, let user, let dataDirectory):
            return "The system user `\(user)` that runs PostgreSQL cannot reach the data directory "
                + "\(dataDirectory): it may not enter \(directory). Grant it access (e.g. `chmod o+x "
                + "\(directory)`) or choose a data directory elsewhere."
        case .alreadyInUse(let dataDirectory, let ownerProcessID, let lockFile):
            let owner = ownerProcessID.map { "process \($0)" } ?? "another process"
            return "The PostgreSQL data directory \(dataDirectory) is already in use by \(owner) "
                + "(lock file \(lockFile)). Stop that process or use another data directory."
        case .notADataDirectory(let path):
            return "\(path) exists but is not a PostgreSQL data directory (no PG_VERSION, not empty). "
                + "Move it away or choose another data directory."
        case .wrongOwner(let dataDirectory, let ownerUID, let expectedUser):
            return "The PostgreSQL data directory \(dataDirectory) belongs to uid \(ownerUID), but the server "
                + "runs as `\(expectedUser)`. Fix it with `chown -R \(expectedUser) \(dataDirectory)`."
        case .passwordFileMissing(let passwordFile, let dataDirectory):
            return "The PostgreSQL cluster in \(dataDirectory) exists but its password file \(passwordFile) is "
                + "missing. Restore the file, or remove the data directory to create a new cluster."
        case .launchFailed(let command, let reason):
            return "Could not run `\(command)`: \(reason)"
        case .commandFailed(let command, let status, let standardError):
            return "`\(command)` failed with exit status \(status)" + Self.indented(standardError)
        case .fileSystem(let operation, let path, let reason):
            return "Could not \(operation) \(path): \(reason)"
        case .staleServerStillRunning(let dataDirectory, let sharedMemoryID):
            return "Processes of an earlier PostgreSQL server on \(dataDirectory) are still attached to its "
                + "shared memory (segment \(sharedMemoryID)). Stop them before starting the cluster again."
        case .startFailed(let dataDirectory, let details, let logFile, let logTail):
            return "PostgreSQL did not start on \(dataDirectory)" + Self.indented(details)
                + "\nServer log (\(logFile)):" + Self.indented(logTail)
        case .notReady(let dataDirectory, let port, let seconds, let logFile, let logTail):
            return "PostgreSQL on \(dataDirectory) did not accept connections on 127.0.0.1:\(port) within "
                + "\(seconds) s.\nServer log (\(logFile)):" + Self.indented(logTail)
        case .stopFailed(let dataDirectory, let processID):
            return "PostgreSQL (pid \(processID)) on \(dataDirectory) did not stop, even after SIGKILL."
        }
    }

    private static func indented(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return "." }
        return ":\n" + trimmed.split(separator: "\n", omittingEmptySubsequences: false)
            .map { "    " + $0 }.joined(separator: "\n")
    }
}

extension LocalPostgresError {
    static func invalidConfiguration(_ message: String) -> Self { Self(.invalidConfiguration(message)) }
    static func binariesNotFound(searched: [String], fromEnvironment: String?) -> Self {
        Self(.binariesNotFound(searched: searched, fromEnvironment: fromEnvironment))
    }
    static func systemUserNotFound(_ name: String) -> Self { Self(.systemUserNotFound(name)) }
    static func systemUserIsRoot(_ name: String) -> Self { Self(.systemUserIsRoot(name)) }
    static func cannotSwitchUser(wanted: String, current: String) -> Self {
        Self(.cannotSwitchUser(wanted: wanted, current: current))
    }
    static func userSwitchToolMissing(_ user: String) -> Self { Self(.userSwitchToolMissing(user)) }
    static func directoryNotTraversable(directory: String, user: String, dataDirectory: String) -> Self {
        Self(.directoryNotTraversable(directory: directory, user: user, dataDirectory: dataDirectory))
    }
    static func alreadyInUse(dataDirectory: String, ownerProcessID: Int32?, lockFile: String) -> Self {
        Self(.alreadyInUse(dataDirectory: dataDirectory, ownerProcessID: ownerProcessID, lockFile: lockFile))
    }
    static func notADataDirectory(_ path: String) -> Self { Self(.notADataDirectory(path)) }
    static func wrongOwner(dataDirectory: String, ownerUID: UInt32, expectedUser: String) -> Self {
        Self(.wrongOwner(dataDirectory: dataDirectory, ownerUID: ownerUID, expectedUser: expectedUser))
    }
    static func passwordFileMissing(passwordFile: String, dataDirectory: String) -> Self {
        Self(.passwordFileMissing(passwordFile: passwordFile, dataDirectory: dataDirectory))
    }
    static func launchFailed(command: String, reason: String) -> Self {
        Self(.launchFailed(command: command, reason: reason))
    }
    static func commandFailed(_ command: Command, _ output: CommandOutput) -> Self {
        Self(.commandFailed(command: command.displayText, status: output.status, standardError: output.standardError))
    }
    static func fileSystem(_ operation: String, _ path: String, errno code: Int32) -> Self {
        Self(.fileSystem(operation: operation, path: path, reason: String(cString: strerror(code))))
    }
    static func fileSystem(_ operation: String, _ path: String, reason: String) -> Self {
        Self(.fileSystem(operation: operation, path: path, reason: reason))
    }
    static func staleServerStillRunning(dataDirectory: String, sharedMemoryID: Int32) -> Self {
        Self(.staleServerStillRunning(dataDirectory: dataDirectory, sharedMemoryID: sharedMemoryID))
    }
    static func startFailed(dataDirectory: String, details: String, logFile: String, logTail: String) -> Self {
        Self(.startFailed(dataDirectory: dataDirectory, details: details, logFile: logFile, logTail: logTail))
    }
    static func notReady(dataDirectory: String, port: Int, seconds: Int, logFile: String, logTail: String) -> Self {
        Self(.notReady(dataDirectory: dataDirectory, port: port, seconds: seconds, logFile: logFile, logTail: logTail))
    }
    static func stopFailed(dataDirectory: String, processID: Int32) -> Self {
        Self(.stopFailed(dataDirectory: dataDirectory, processID: processID))
    }
}
