import Foundation

/// The embedded default's bootstrap admin token, kept in `<data-dir>/admin-token` with mode 0600.
enum AdminTokenFile {
    static func path(directory: String) -> String { (directory as NSString).appendingPathComponent("admin-token") }

    static func read(directory: String) -> String? {
        guard let text = try? String(contentsOfFile: path(directory: directory), encoding: .utf8) else { return nil }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return token.isEmpty ? nil : token
    }

    /// Reads the token, or makes one (returning `created: true` so it can be printed once).
    static func readOrCreate(directory: String) throws -> (token: String, created: Bool) {
        if let token = read(directory: directory) { return (token, false) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let token = "cba_" + bytes.map { String(format: "%02x", $0) }.joined()
        let file = path(directory: directory)
        guard FileManager.default.createFile(atPath: file, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ClientFailure("cannot write \(file)")
        }
        chmod(file, 0o600)
        return (token, true)
    }
}
