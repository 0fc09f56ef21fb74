import Foundation
import Testing
@testable import LocalPostgres
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Recovering from a crash", .timeLimit(.minutes(2)))
struct StaleStateTests {
    @Test func killedServerIsRecoveredOnNextStart() async throws {
        try await TestSupport.withTemporaryDirectory { root in
            let configuration = LocalPostgresConfiguration(dataDirectory: root + "/postgres")
            let pidFile = configuration.dataDirectory + "/postmaster.pid"
            try await TestSupport.withCluster(configuration) { cluster in
                let info = try await cluster.start()
                _ = try await TestSupport.psql(info, "CREATE TABLE crash (value int); INSERT INTO crash VALUES (3)")
                let postmaster = try #require(await cluster.postmasterProcessID)
                kill(postmaster, SIGKILL)
                let died = await TestSupport.eventually { !ProcessTable.isAlive(postmaster) }
                try #require(died)
            }
            // SIGKILL left postmaster.pid behind, naming a process that no longer exists.
            #expect(FileManager.default.fileExists(atPath: pidFile))

            try await TestSupport.withCluster(configuration) { cluster in
                let info = try await cluster.start()
                #expect(try await TestSupport.psql(info, "SELECT value FROM crash") == "3")
            }
            try await TestSupport.expectNothingRunning(configuration.dataDirectory)
        }
    }

    @Test func postmasterPIDOfAnUnrelatedLiveProcessIsRecovered() async throws {
        try await TestSupport.withTemporaryDirectory { root in
            let configuration = LocalPostgresConfiguration(dataDirectory: root + "/postgres")
            let pidFile = configuration.dataDirectory + "/postmaster.pid"
            let original = try await TestSupport.withCluster(configuration) { cluster in
                _ = try await cluster.start()
                return try #require(FileSystem.readText(pidFile))
            }
            // After a crash the recorded pid may be reused by an unrelated process; PostgreSQL alone
            // would then refuse to start ("Is another postmaster running?").
            let unrelated = try TestSupport.spawnSleeper()
            defer { TestSupport.killAndReap(unrelated) }
            let lines = original.split(separator: "\n", omittingEmptySubsequences: false)
            let stale = (["\(unrelated)"] + lines.dropFirst()).joined(separator: "\n")
            try stale.write(toFile: pidFile, atomically: false, encoding: .utf8)

            try await TestSupport.withCluster(configuration) { cluster in
                let info = try await cluster.start()
                #expect(try await TestSupport.psql(info, "SELECT 1") == "1")
            }
            #expect(ProcessTable.isAlive(unrelated), "recovery must not signal an unrelated process")
            try await TestSupport.expectNothingRunning(configuration.dataDirectory)
        }
    }

    @Test func serverLeftRunningWithoutAnOwnerIsStoppedAndReplaced() async throws {
        try await TestSupport.withTemporaryDirectory { root in
            let configuration = LocalPostgresConfiguration(dataDirectory: root + "/postgres")
            _ = try await TestSupport.withCluster(configuration) { try await $0.start() }
            // What a dead owner leaves when its watchdog has not acted yet: a running server, no lock.
            let user = try SystemUser.resolve(configured: nil)
            let binaries = try await PostgresBinaries.locate()
            let pgCtl = user.command(binaries.pgCtl, [
                "start", "--pgdata=\(configuration.dataDirectory)", "--log=\(configuration.dataDirectory).log", "--wait", "--silent",
                "--options=-c listen_addresses=127.0.0.1 -p \(try FreePort.pick()) -c unix_socket_directories=''",
            ])
            let started = try await ProcessRunner.run(pgCtl)
            try #require(started.succeeded, "\(started.standardError)")
            let orphan = try #require(PostmasterPIDFile.read(dataDirectory: configuration.dataDirectory)?.processID)
            try #require(ProcessTable.isAlive(orphan))

            try await TestSupport.withCluster(configuration) { cluster in
                let info = try await cluster.start()
                #expect(!ProcessTable.isAlive(orphan))
                #expect(await cluster.postmasterProcessID != orphan)
                #expect(try await TestSupport.psql(info, "SELECT 1") == "1")
            }
            try await TestSupport.expectNothingRunning(configuration.dataDirectory)
        }
    }
}
