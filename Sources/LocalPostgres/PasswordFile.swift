import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The superuser password: generated once, kept beside the data directory, readable only by its owner.
enum PasswordFile {
    static func read(path: String) throws -> String? {
        guard let text = FileSystem.readText(path) else { return nil }
        // A copied or restored file may have lost its mode; the secret should not stay world-readable.
        try FileSystem.setMode(path, 0o600)
        let password = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return password.isEmpty ? nil : password
    }

    static func create(path: String) throws -> String {
        let password = generate()
        try write(password, to: path, owner: nil)
        return password
    }

    /// Writes `password` to a new 0600 file, handed to `owner` when given (initdb reads it as that user).
    static func write(_ password: String, to path: String, owner: SystemUser?) throws {
        // O_EXCL: two racing creators cannot overwrite each other's secret.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw LocalPostgresError.fileSystem("create the password file", path, errno: errno)
        }
        defer { close(descriptor) }
        do {
            try FileHandle(fileDescriptor: descriptor, closeOnDealloc: false).write(contentsOf: Data((password + "\n").utf8))
        } catch {
            throw LocalPostgresError.fileSystem("write the password file", path, reason: "\(error)")
        }
        guard fsync(descriptor) == 0 else {
            throw LocalPostgresError.fileSystem("write the password file", path, errno: errno)
        }
        if let owner, fchown(descriptor, owner.uid, owner.gid) != 0 {
            throw LocalPostgresError.fileSystem("hand over to `\(owner.name)`", path, errno: errno)
        }
    }

    /// 32 characters from [A-Za-z0-9] (about 190 bits), safe in URLs and config files alike.
    static func generate() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<32).map { _ in alphabet.randomElement(using: &generator)! })
    }
}
