import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few file operations the cluster needs, with errors that name the path.
enum FileSystem {
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    static func isEmptyDirectory(_ path: String) -> Bool {
        (try? FileManager.default.contentsOfDirectory(atPath: path).isEmpty) ?? false
    }

    static func ownerUID(of path: String) -> uid_t? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_uid : nil
    }

    static func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    static func createDirectories(_ path: String, mode: mode_t) throws {
        for directory in FilePaths.ancestors(of: path) + [path] where !exists(directory) {
            if mkdir(directory, mode) != 0 && errno != EEXIST {
                throw LocalPostgresError.fileSystem("create the directory", directory, errno: errno)
            }
        }
    }

    static func setMode(_ path: String, _ mode: mode_t) throws {
        if chmod(path, mode) != 0 {
            throw LocalPostgresError.fileSystem("change the permissions of", path, errno: errno)
        }
    }

    static func setOwner(_ path: String, to user: SystemUser) throws {
        if chown(path, user.uid, user.gid) != 0 {
            throw LocalPostgresError.fileSystem("hand over to `\(user.name)`", path, errno: errno)
        }
    }

    /// Creates an empty file if none exists; the mode applies only to a new file.
    static func touch(_ path: String, mode: mode_t) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw LocalPostgresError.fileSystem("create", path, errno: errno) }
        close(descriptor)
    }

    static func readText(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    static func removeItems(_ paths: [String]) throws {
        for path in paths where exists(path) {
            do {
                try FileManager.default.removeItem(atPath: path)
            } catch {
                throw LocalPostgresError.fileSystem("remove", path, reason: "\(error)")
            }
        }
    }

    /// The last lines of a log, starting no earlier than `offset` so only the current run shows.
    static func tail(of path: String, from offset: Int = 0, lines: Int = 30) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "(no log at \(path))" }
        defer { try? handle.close() }
        let size = fileSize(path)
        let start = max(offset, size - 64 * 1024, 0)
        try? handle.seek(toOffset: UInt64(start))
        let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        let selected = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines + 1)
        let result = selected.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        return result.isEmpty ? "(the log is empty)" : result
    }
}
