import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ClusterLauncher {
    /// Returns the superuser password, running initdb first when the directory holds no cluster yet.
    func prepareDataDirectory(user: SystemUser, binaries: PostgresBinaries) async throws -> String {
        let paths = self.paths
        let dataDirectory = paths.dataDirectory
        if FileSystem.exists(paths.versionFile) {
            if let owner = FileSystem.ownerUID(of: dataDirectory), owner != user.uid {
                throw LocalPostgresError.wrongOwner(dataDirectory: dataDirectory, ownerUID: owner, expectedUser: user.name)
            }
            guard let password = try PasswordFile.read(path: paths.passwordFile) else {
                throw LocalPostgresError.passwordFileMissing(passwordFile: paths.passwordFile, dataDirectory: dataDirectory)
            }
            return password
        }
        if FileSystem.exists(dataDirectory) && !FileSystem.isEmptyDirectory(dataDirectory) {
            throw LocalPostgresError.notADataDirectory(dataDirectory)
        }
        // The password is stored before initdb runs, so a cluster whose creation outlives a crash
        // of ours still has its password on record.
        let password = try PasswordFile.read(path: paths.passwordFile) ?? PasswordFile.create(path: paths.passwordFile)
        try FileSystem.createDirectories(dataDirectory, mode: 0o700)
        try FileSystem.setMode(dataDirectory, 0o700)
        if !user.isCurrentUser { try FileSystem.setOwner(dataDirectory, to: user) }

        try FileSystem.removeItems([paths.initdbPasswordFile])
        try PasswordFile.write(password, to: paths.initdbPasswordFile, owner: user.isCurrentUser ? nil : user)
        defer { try? FileSystem.removeItems([paths.initdbPasswordFile]) }

        logger.info("Creating a PostgreSQL cluster", metadata: ["data_directory": "\(dataDirectory)"])
        var arguments = [
            "--pgdata=\(dataDirectory)",
            "--username=\(configuration.username)",
            "--auth=scram-sha-256",
            "--pwfile=\(paths.initdbPasswordFile)",
            "--encoding=UTF8",
            "--locale=C",
            "--no-instructions",
        ]
        // A throwaway cluster need not survive a power cut, so skipping the final sync saves seconds.
        if configuration.ephemeral { arguments.append("--no-sync") }
        let command = user.command(binaries.initdb, arguments)
        let output = try await ProcessRunner.run(command)
        guard output.succeeded else { throw LocalPostgresError.commandFailed(command, output) }
        return password
    }

    /// The server appends to one log beside the data directory; it must be able to open it as its user.
    func prepareLogFile(user: SystemUser) throws {
        let paths = self.paths
        // Rotated at start, so a long-lived embedded cluster keeps at most two bounded logs.
        if FileSystem.fileSize(paths.logFile) > 16 * 1024 * 1024 {
            try? FileSystem.removeItems([paths.previousLogFile])
            rename(paths.logFile, paths.previousLogFile)
        }
        try FileSystem.touch(paths.logFile, mode: 0o640)
        if !user.isCurrentUser { try FileSystem.setOwner(paths.logFile, to: user) }
    }
}
