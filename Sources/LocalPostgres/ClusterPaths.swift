/// Where a cluster keeps its files: the data directory and, beside it, files named after it.
/// Keeping them outside the data directory lets initdb find it empty and keeps secrets out of backups of it.
struct ClusterPaths: Sendable {
    /// Absolute path of the PostgreSQL data directory.
    var dataDirectory: String

    var parent: String { FilePaths.parent(of: dataDirectory) }
    var lockFile: String { dataDirectory + ".lock" }
    var passwordFile: String { dataDirectory + "-password" }
    var logFile: String { dataDirectory + ".log" }
    var previousLogFile: String { dataDirectory + ".log.1" }
    /// initdb reads the password from a file the server's user can open; it is removed right after.
    var initdbPasswordFile: String { dataDirectory + ".initdb-password" }
    var versionFile: String { dataDirectory + "/PG_VERSION" }

    /// Everything an ephemeral cluster leaves behind, except its lock file.
    var ephemeralFiles: [String] {
        [dataDirectory, passwordFile, logFile, previousLogFile, initdbPasswordFile]
    }
}
