import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ClusterLauncher {
    struct StartedServer {
        var port: Int
        var processID: pid_t
        /// Where this start's lines begin in the log, so errors quote only them.
        var logOffset: Int
    }

    /// Starts the postmaster with pg_ctl, which detaches it into its own session (a Ctrl-C in our
    /// terminal reaches only us, and we then stop it in order).
    func startServer(user: SystemUser, binaries: PostgresBinaries) async throws -> StartedServer {
        let paths = self.paths
        let logOffset = FileSystem.fileSize(paths.logFile)
        // A port picked by us can be taken before postgres binds it; a configured one is not retried.
        let attempts = configuration.port == nil ? 3 : 1
        for attempt in 1...attempts {
            let port = try configuration.port ?? FreePort.pick()
            let attemptOffset = FileSystem.fileSize(paths.logFile)
            let command = user.command(binaries.pgCtl, [
                "start",
                "--pgdata=\(paths.dataDirectory)",
                "--log=\(paths.logFile)",
                "--wait",
                "--timeout=\(timeoutSeconds)",
                "--silent",
                "--options=\(serverOptions(port: port))",
            ])
            let output = try await ProcessRunner.run(command)
            let pidFile = PostmasterPIDFile.read(dataDirectory: paths.dataDirectory)
            if output.succeeded, let pidFile {
                return StartedServer(port: port, processID: pidFile.processID, logOffset: logOffset)
            }
            // pg_ctl gives up waiting but leaves a slow server running; it must not outlive the failure.
            if let pidFile {
                try? await Offload.run {
                    try Postmaster.stop(processID: pidFile.processID, dataDirectory: paths.dataDirectory, gracePeriod: 10)
                }
            }
            let logTail = FileSystem.tail(of: paths.logFile, from: attemptOffset)
            if attempt < attempts && logTail.contains("could not bind") {
                logger.debug("Port \(port) was taken before PostgreSQL could bind it; trying another")
                continue
            }
            let details = "`\(command.displayText)` exited with status \(output.status)"
                + (output.standardError.isEmpty ? "" : ":\n" + output.standardError)
            throw LocalPostgresError.startFailed(
                dataDirectory: paths.dataDirectory, details: details, logFile: paths.logFile, logTail: logTail
            )
        }
        preconditionFailure("the last attempt either returns or throws")
    }

    /// Settings given on the command line win over postgresql.conf, so every start applies the current ones.
    func serverOptions(port: Int) -> String {
        var options = [
            "-c listen_addresses=127.0.0.1",
            "-p \(port)",
            // TCP only: a socket path under a deep working directory can exceed the 107-byte limit.
            "-c unix_socket_directories=''",
            "-c max_connections=\(configuration.maximumConnections)",
        ]
        if configuration.relaxedDurability {
            // A test cluster is thrown away after a crash anyway; durability only costs time there.
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        }
        for (name, value) in configuration.settings.sorted(by: { $0.key < $1.key }) {
            options.append("-c \(name)=\(value)")
        }
        return options.joined(separator: " ")
    }

    /// Confirms the server answers on its port; pg_ctl already waited for the "ready" mark.
    func waitUntilReady(_ info: PostgresConnectionInfo, binaries: PostgresBinaries, logOffset: Int) async throws {
        let deadline = ContinuousClock.now + configuration.startupTimeout
        while true {
            if await isAcceptingConnections(info, binaries: binaries) { return }
            guard ContinuousClock.now < deadline else {
                throw LocalPostgresError.notReady(
                    dataDirectory: paths.dataDirectory, port: info.port, seconds: timeoutSeconds,
                    logFile: paths.logFile, logTail: FileSystem.tail(of: paths.logFile, from: logOffset)
                )
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    func createDatabaseIfMissing(_ info: PostgresConnectionInfo, binaries: PostgresBinaries) async throws {
        guard info.database != "postgres" else { return }
        guard let psql = binaries.psql else {
            throw LocalPostgresError.launchFailed(
                command: "psql", reason: "not found; install the `postgresql-client` package"
            )
        }
        // psql quotes the variable itself (%I, :'name'), so any database name is safe.
        let script = """
            SELECT format('CREATE DATABASE %I', :'database')
            WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \\gexec

            """
        let command = Command(
            executable: psql,
            arguments: [
                "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1",
                "--host=\(info.host)", "--port=\(info.port)", "--username=\(info.username)", "--dbname=postgres",
                "--set=database=\(info.database)", "--file=-",
            ],
            environment: Command.cleanEnvironment(adding: ["PGPASSWORD": info.password, "PGCONNECT_TIMEOUT": "10"]),
            standardInput: script
        )
        let output = try await ProcessRunner.run(command)
        guard output.succeeded else { throw LocalPostgresError.commandFailed(command, output) }
    }

    private var timeoutSeconds: Int {
        max(1, Int(configuration.startupTimeout.components.seconds))
    }

    private func isAcceptingConnections(_ info: PostgresConnectionInfo, binaries: PostgresBinaries) async -> Bool {
        guard let pgIsReady = binaries.pgIsReady else { return FreePort.isAccepting(port: info.port) }
        let command = Command(executable: pgIsReady, arguments: [
            "--host=\(info.host)", "--port=\(info.port)", "--username=\(info.username)",
            "--dbname=postgres", "--timeout=2", "--quiet",
        ])
        return (try? await ProcessRunner.run(command))?.succeeded ?? false
    }
}
