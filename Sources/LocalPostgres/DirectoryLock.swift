import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An flock()-held lock file that makes one process the owner of a data directory.
/// The kernel drops the lock when the process dies, however it dies, so it never goes stale.
final class DirectoryLock: Sendable {
    enum Outcome {
        case acquired(DirectoryLock)
        case busy(ownerProcessID: pid_t?)
    }

    let path: String
    private let descriptor: LockedValue<Int32?>

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = LockedValue(descriptor)
    }

    deinit {
        release()
    }

    /// Takes the lock without waiting and records `ownerProcessID` (normally this process) as the owner.
    static func acquire(path: String, ownerProcessID: pid_t = getpid()) throws -> Outcome {
        // O_CLOEXEC: a child (postgres above all) must never inherit the lock and outlive us holding it.
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw LocalPostgresError.fileSystem("open the lock file", path, errno: errno)
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(descriptor)
            if code == EWOULDBLOCK { return .busy(ownerProcessID: recordedOwner(path: path)) }
            throw LocalPostgresError.fileSystem("lock", path, errno: code)
        }
        let record = "\(ownerProcessID)\n"
        _ = ftruncate(descriptor, 0)
        _ = record.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        return .acquired(DirectoryLock(path: path, descriptor: descriptor))
    }

    /// The process that last took the lock, as written in the file.
    static func recordedOwner(path: String) -> pid_t? {
        FileSystem.readText(path).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    func release() {
        descriptor.withLock { descriptor in
            if let open = descriptor {
                close(open)
                descriptor = nil
            }
        }
    }
}
