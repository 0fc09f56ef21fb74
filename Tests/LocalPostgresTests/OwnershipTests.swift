import Foundation
import Testing
@testable import LocalPostgres
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Exclusive ownership of a data directory", .timeLimit(.minutes(2)))
struct OwnershipTests {
    @Test func secondOwnerInTheSameProcessIsRefused() async throws {
        let configuration = LocalPostgresConfiguration.ephemeral(prefix: "lp-test-owner")
        try await TestSupport.withCluster(configuration) { first in
            let info = try await first.start()
            let second = LocalPostgresCluster(configuration: configuration, logger: TestSupport.logger)
            let error = await #expect(throws: LocalPostgresError.self) { try await second.start() }
            #expect(error?.description.contains("already in use by process \(getpid())") == true)
            #expect(error?.description.contains(configuration.dataDirectory) == true)
            try await second.stop()
            // The refused start touched nothing: the first owner's server still answers.
            #expect(try await TestSupport.psql(info, "SELECT 1") == "1")
            #expect(FileManager.default.fileExists(atPath: configuration.dataDirectory + "/PG_VERSION"))
        }
        try await TestSupport.expectNothingRunning(configuration.dataDirectory)
    }

    @Test func directoryLockedByAnotherProcessIsRefused() async throws {
        try await TestSupport.withTemporaryDirectory { root in
            let configuration = LocalPostgresConfiguration(dataDirectory: root + "/postgres")
            let lockFile = configuration.dataDirectory + ".lock"
            // flock(1) takes the same kind of lock from another process and records its pid, as we do.
            let holder = try TestSupport.spawn([
                "/usr/bin/flock", "--close", lockFile, "/bin/sh", "-c", "echo $PPID > \"$0\"; exec sleep 300", lockFile,
            ])
            let recorded = await TestSupport.eventually {
                DirectoryLock.recordedOwner(path: lockFile) == holder
            }
            let cluster = LocalPostgresCluster(configuration: configuration, logger: TestSupport.logger)
            let error = await #expect(throws: LocalPostgresError.self) { try await cluster.start() }
            TestSupport.killAndReap(holder)

            #expect(recorded)
            #expect(error?.description.contains("already in use by process \(holder)") == true)
            #expect(!FileManager.default.fileExists(atPath: configuration.dataDirectory))
            try await TestSupport.expectNothingRunning(configuration.dataDirectory)

            // Once the other process is gone, the directory is free.
            try await TestSupport.withCluster(configuration) { cluster in
                let info = try await cluster.start()
                #expect(try await TestSupport.psql(info, "SELECT 1") == "1")
            }
            try await TestSupport.expectNothingRunning(configuration.dataDirectory)
        }
    }

    @Test func lockIsReleasedOnStopForTheNextOwner() async throws {
        try await TestSupport.withTemporaryDirectory { root in
            let configuration = LocalPostgresConfiguration(dataDirectory: root + "/postgres")
            _ = try await TestSupport.withCluster(configuration) { try await $0.start() }
            let info = try await TestSupport.withCluster(configuration) { cluster in
                let info = try await cluster.start()
                #expect(try await TestSupport.psql(info, "SELECT 1") == "1")
                return info
            }
            #expect(info.port > 0)
            try await TestSupport.expectNothingRunning(configuration.dataDirectory)
        }
    }
}
