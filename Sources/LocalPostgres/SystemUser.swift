import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The account that runs initdb and postgres (PostgreSQL refuses root), and how to run a command as it.
struct SystemUser: Sendable, Equatable {
    enum SwitchTool: Sendable, Equatable {
        case setpriv(String)
        case runuser(String)
    }

    var name: String
    var uid: uid_t
    var gid: gid_t
    /// `nil` when the server runs as the current user and commands need no wrapper.
    var switchTool: SwitchTool?

    var isCurrentUser: Bool { switchTool == nil }

    static func resolve(configured: String?) throws -> SystemUser {
        let effectiveUID = geteuid()
        if effectiveUID == 0 {
            let name = configured ?? "postgres"
            guard let entry = PasswordEntry.lookup(name: name) else {
                throw LocalPostgresError.systemUserNotFound(name)
            }
            guard entry.uid != 0 else { throw LocalPostgresError.systemUserIsRoot(name) }
            guard let tool = findSwitchTool() else { throw LocalPostgresError.userSwitchToolMissing(name) }
            return SystemUser(name: name, uid: entry.uid, gid: entry.gid, switchTool: tool)
        }
        let currentName = PasswordEntry.lookup(uid: effectiveUID)?.name ?? "\(effectiveUID)"
        if let configured, configured != currentName {
            throw LocalPostgresError.cannotSwitchUser(wanted: configured, current: currentName)
        }
        return SystemUser(name: currentName, uid: effectiveUID, gid: getegid(), switchTool: nil)
    }

    /// `executable arguments…`, run as this user.
    func command(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = Command.cleanEnvironment()
    ) -> Command {
        switch switchTool {
        case nil:
            return Command(executable: executable, arguments: arguments, environment: environment)
        case .setpriv(let tool):
            // setpriv execs in place (no PAM session, no extra parent process), so it is preferred.
            let switchArguments = ["--reuid=\(uid)", "--regid=\(gid)", "--init-groups", "--"]
            return Command(
                executable: tool, arguments: switchArguments + [executable] + arguments, environment: environment
            )
        case .runuser(let tool):
            return Command(
                executable: tool, arguments: ["-u", name, "--", executable] + arguments, environment: environment
            )
        }
    }

    /// Fails naming the first directory on the way to `path` that this user may not enter.
    func checkCanReach(_ path: String) async throws {
        guard !isCurrentUser else { return }
        // Asking the kernel as the user itself also honours ACLs and group membership.
        let script = #"for d in "$@"; do [ -x "$d" ] || { printf '%s' "$d"; exit 1; }; done"#
        let check = command("/bin/sh", ["-c", script, "sh"] + FilePaths.ancestors(of: path))
        let output = try await ProcessRunner.run(check)
        guard output.succeeded else {
            let directory = output.standardOutput.isEmpty ? FilePaths.parent(of: path) : output.standardOutput
            throw LocalPostgresError.directoryNotTraversable(directory: directory, user: name, dataDirectory: path)
        }
    }

    private static func findSwitchTool() -> SwitchTool? {
        let directories = ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]
        if let path = directories.map({ $0 + "/setpriv" }).first(where: { access($0, X_OK) == 0 }) {
            return .setpriv(path)
        }
        if let path = directories.map({ $0 + "/runuser" }).first(where: { access($0, X_OK) == 0 }) {
            return .runuser(path)
        }
        return nil
    }
}

/// A row of the user database, read with the thread-safe getpw*_r calls.
struct PasswordEntry {
    var name: String
    var uid: uid_t
    var gid: gid_t

    static func lookup(name: String) -> PasswordEntry? {
        read { entry, buffer, size, result in getpwnam_r(name, &entry, buffer, size, &result) }
    }

    static func lookup(uid: uid_t) -> PasswordEntry? {
        read { entry, buffer, size, result in getpwuid_r(uid, &entry, buffer, size, &result) }
    }

    private static func read(
        _ call: (inout passwd, UnsafeMutablePointer<CChar>, Int, inout UnsafeMutablePointer<passwd>?) -> Int32
    ) -> PasswordEntry? {
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        return buffer.withUnsafeMutableBufferPointer { pointer in
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            let status = call(&entry, pointer.baseAddress!, pointer.count, &result)
            // pw_name points into the buffer, so it is copied out while the buffer is borrowed.
            guard status == 0, result != nil, let namePointer = entry.pw_name else { return nil }
            return PasswordEntry(name: String(cString: namePointer), uid: entry.pw_uid, gid: entry.pw_gid)
        }
    }
}
