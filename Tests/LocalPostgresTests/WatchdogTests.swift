import Foundation
import Testing
@testable import LocalPostgres
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The owner of a cluster is normally this test process, which a test cannot kill; a `sleep` stands
/// in for it and dies by SIGKILL, which runs no handler of its own, exactly like a crashed server.
@Suite("The watchdog stops a server whose owner died", .timeLimit(.minutes(2)))
struct WatchdogTests {
    @Test func ephemeralClusterIsStoppedAndRemovedWhenItsOwnerIsKilled() async throws {
        let owner = try TestSupport.spawnSleeper()
        let configuration = LocalPostgresConfiguration.ephemeral(prefix: "lp-test-watchdog")
        let dataDirectory = configuration.dataDirectory
        try await TestSupport.withCluster(configuration, ownerProcessID: owner) { cluster in
            let info = try await cluster.start()
            #expect(try await TestSupport.psql(info, "SELECT 1") == "1")
            let postmaster = try #require(await cluster.postmasterProcessID)

            TestSupport.killAndReap(owner)

            let stopped = await TestSupport.eventually(seconds: 10) { !ProcessTable.isAlive(postmaster) }
            #expect(stopped, "postgres (pid \(postmaster)) outlived its owner")
            let removed = await TestSupport.eventually(seconds: 10) {
                !FileManager.default.fileExists(atPath: dataDirectory)
                    && !FileManager.default.fileExists(atPath: dataDirectory + "-password")
                    && !FileManager.default.fileExists(atPath: dataDirectory + ".lock")
            }
            #expect(removed, "the ephemeral cluster outlived its owner")
        }
        try await TestSupport.expectNothingRunning(dataDirectory)
    }

    @Test func persistentClusterIsStoppedButKeptWhenItsOwnerIsKilled() async throws {
        try await TestSupport.withTemporaryDirectory { root in
            let owner = try TestSupport.spawnSleeper()
            let configuration = LocalPostgresConfiguration(dataDirectory: root + "/postgres")
            try await TestSupport.withCluster(configuration, ownerProcessID: owner) { cluster in
                let info = try await cluster.start()
                _ = try await TestSupport.psql(info, "CREATE TABLE survives (value int); INSERT INTO survives VALUES (1)")
                let postmaster = try #require(await cluster.postmasterProcessID)

                TestSupport.killAndReap(owner)

                let stopped = await TestSupport.eventually(seconds: 10) { !ProcessTable.isAlive(postmaster) }
                #expect(stopped, "postgres (pid \(postmaster)) outlived its owner")
                // A fast shutdown removes postmaster.pid: the cluster was shut down cleanly, not killed.
                #expect(!FileManager.default.fileExists(atPath: configuration.dataDirectory + "/postmaster.pid"))
                #expect(FileManager.default.fileExists(atPath: configuration.dataDirectory + "/PG_VERSION"))
            }
            try await TestSupport.withCluster(configuration) { cluster in
                let info = try await cluster.start()
                #expect(try await TestSupport.psql(info, "SELECT value FROM survives") == "1")
            }
            try await TestSupport.expectNothingRunning(configuration.dataDirectory)
        }
    }

    @Test func watchdogEndsWithANormalStop() async throws {
        let configuration = LocalPostgresConfiguration.ephemeral(prefix: "lp-test-watchdog-stop")
        try await TestSupport.withCluster(configuration) { cluster in
            _ = try await cluster.start()
            let running = try await TestSupport.processes(mentioning: configuration.dataDirectory)
            #expect(running.contains { $0.contains("chartly-postgres-watchdog") })
            #expect(running.contains { $0.contains("postgres -D \(configuration.dataDirectory)") })
        }
        // Not eventually: stop() returns only once the server and its watchdog are gone.
        #expect(try await TestSupport.processes(mentioning: configuration.dataDirectory).isEmpty)
    }
}
