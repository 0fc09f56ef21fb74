import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The directory holding the PostgreSQL server programs (initdb, pg_ctl, postgres).
struct PostgresBinaries: Sendable, Equatable {
    var directory: String

    var initdb: String { directory + "/initdb" }
    var pgCtl: String { directory + "/pg_ctl" }
    var pgIsReady: String? { Self.executable(directory + "/pg_isready") }
    /// psql ships with the client package; the server's own directory is tried first so versions match.
    var psql: String? {
        Self.executable(directory + "/psql") ?? Self.searchPath(for: "psql")
    }

    /// Finds the server programs: `CHARTLY_PG_BINDIR`, then the version an existing cluster was made with,
    /// then `pg_config --bindir`, then the newest `<installRoot>/<version>/bin`.
    static func locate(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        preferredMajorVersion: String? = nil,
        installRoot: String = "/usr/lib/postgresql"
    ) async throws -> PostgresBinaries {
        if let configured = environment["CHARTLY_PG_BINDIR"], !configured.isEmpty {
            guard isServerDirectory(configured) else {
                throw LocalPostgresError.binariesNotFound(searched: [], fromEnvironment: configured)
            }
            return PostgresBinaries(directory: FilePaths.absolute(configured))
        }
        var searched: [String] = []
        if let version = preferredMajorVersion {
            let directory = "\(installRoot)/\(version)/bin"
            searched.append(directory)
            if isServerDirectory(directory) { return PostgresBinaries(directory: directory) }
        }
        if let pgConfig = searchPath(for: "pg_config", environment: environment),
           let output = try? await ProcessRunner.run(Command(executable: pgConfig, arguments: ["--bindir"])),
           output.succeeded {
            let directory = output.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
            searched.append(directory)
            if isServerDirectory(directory) { return PostgresBinaries(directory: directory) }
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: installRoot)) ?? []
        for version in versions.sorted(by: { versionKey($0).lexicographicallyPrecedes(versionKey($1)) }).reversed() {
            let directory = "\(installRoot)/\(version)/bin"
            searched.append(directory)
            if isServerDirectory(directory) { return PostgresBinaries(directory: directory) }
        }
        if versions.isEmpty { searched.append("\(installRoot)/*/bin") }
        throw LocalPostgresError.binariesNotFound(searched: searched, fromEnvironment: nil)
    }

    static func isServerDirectory(_ directory: String) -> Bool {
        ["initdb", "pg_ctl", "postgres"].allSatisfy { executable(directory + "/" + $0) != nil }
    }

    // "9.6" sorts below "15" only when compared number by number.
    private static func versionKey(_ name: String) -> [Int] {
        name.split(separator: ".").map { Int($0) ?? -1 }
    }

    private static func executable(_ path: String) -> String? {
        access(path, X_OK) == 0 ? path : nil
    }

    private static func searchPath(
        for program: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String? {
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").lazy.compactMap { executable("\($0)/\(program)") }.first
    }
}
