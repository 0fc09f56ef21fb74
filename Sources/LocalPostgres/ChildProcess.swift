import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Spawns and reaps programs with posix_spawn. Foundation's `Process` hands each child an internal
/// socket that grandchildren inherit, so waiting for `pg_ctl start` would last as long as the
/// postmaster it launches; here a child gets exactly stdin, stdout and stderr.
enum ChildProcess {
    /// Starts `command` in its own process group (a Ctrl-C aimed at our terminal reaches only us)
    /// with default signal handling, whatever this process blocks or ignores.
    static func spawn(
        _ command: Command,
        standardInput: Int32,
        standardOutput: Int32,
        standardError: Int32
    ) throws -> pid_t {
        #if canImport(Darwin)
        var actions: posix_spawn_file_actions_t? = nil
        var attributes: posix_spawnattr_t? = nil
        #else
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        posix_spawn_file_actions_adddup2(&actions, standardInput, STDIN_FILENO)
        posix_spawn_file_actions_adddup2(&actions, standardOutput, STDOUT_FILENO)
        posix_spawn_file_actions_adddup2(&actions, standardError, STDERR_FILENO)
        var flags = Int32(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        #if canImport(Darwin)
        flags |= Int32(POSIX_SPAWN_CLOEXEC_DEFAULT)
        #else
        if let addCloseFrom = GlibcSpawnExtensions.addCloseFrom {
            _ = addCloseFrom(&actions, 3)
        } else {
            // Older glibc: close what is open now; our own descriptors are close-on-exec anyway.
            for descriptor in 3..<min(getdtablesize(), 65_536) where fcntl(descriptor, F_GETFD) != -1 {
                posix_spawn_file_actions_addclose(&actions, descriptor)
            }
        }
        if let addChangeDirectory = GlibcSpawnExtensions.addChangeDirectory {
            _ = addChangeDirectory(&actions, command.workingDirectory)
        }
        #endif

        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var everySignal = sigset_t()
        sigfillset(&everySignal)
        sigdelset(&everySignal, SIGKILL)
        sigdelset(&everySignal, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &everySignal)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let arguments = [command.executable] + command.arguments
        let environment = command.environment.map { "\($0.key)=\($0.value)" }
        var processID = pid_t()
        let result = withCStringArray(arguments) { argv in
            withCStringArray(environment) { envp in
                posix_spawn(&processID, command.executable, &actions, &attributes, argv, envp)
            }
        }
        guard result == 0 else {
            throw LocalPostgresError.launchFailed(command: command.displayText, reason: String(cString: strerror(result)))
        }
        return processID
    }

    /// Waits for the child to end; a death by signal reads as 128 + the signal, as in a shell.
    static func waitForExit(_ processID: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(processID, &status, 0) == -1 {
            if errno != EINTR { return -1 }
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// A pipe whose ends are close-on-exec; spawn dup2()s the child's end into place.
    static func makePipe() throws -> (read: Int32, write: Int32) {
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else { throw LocalPostgresError.fileSystem("create", "a pipe", errno: errno) }
        for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        return (descriptors[0], descriptors[1])
    }

    static func openNullDevice() throws -> Int32 {
        let descriptor = open("/dev/null", O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { throw LocalPostgresError.fileSystem("open", "/dev/null", errno: errno) }
        return descriptor
    }

    private static func withCStringArray<Result>(
        _ strings: [String],
        _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> Result
    ) -> Result {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

#if !canImport(Darwin)
/// glibc's posix_spawn extensions (2.29 and 2.34) that Swift's Glibc module does not import.
private enum GlibcSpawnExtensions {
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias AddChangeDirectory = @convention(c) (
        UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>
    ) -> Int32

    static let addCloseFrom: AddCloseFrom? = symbol("posix_spawn_file_actions_addclosefrom_np")
    static let addChangeDirectory: AddChangeDirectory? = symbol("posix_spawn_file_actions_addchdir_np")

    private static func symbol<Function>(_ name: String) -> Function? {
        // A null handle is RTLD_DEFAULT on glibc.
        dlsym(nil, name).map { unsafeBitCast($0, to: Function.self) }
    }
}
#endif
