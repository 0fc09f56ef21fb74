import Foundation
import Testing
@testable import LocalPostgres
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Configuration, binaries and users", .timeLimit(.minutes(2)))
struct ConfigurationTests {
    @Test func urlPercentEncodesEveryPart() {
        let info = PostgresConnectionInfo(
            host: "127.0.0.1", port: 5433, username: "a@b", password: "p:w/d%?#", database: "my db"
        )
        #expect(info.url == "postgres://a%40b:p%3Aw%2Fd%25%3F%23@127.0.0.1:5433/my%20db")
        let ipv6 = PostgresConnectionInfo(host: "::1", port: 5432, username: "u", password: "p", database: "d")
        #expect(ipv6.url == "postgres://u:p@[::1]:5432/d")
    }

    @Test func dataDirectoryIsMadeAbsolute() {
        let configuration = LocalPostgresConfiguration(dataDirectory: ".chartly/./postgres")
        #expect(configuration.dataDirectory == FileManager.default.currentDirectoryPath + "/.chartly/postgres")
        #expect(configuration.username == "chartly" && configuration.database == "chartly")
        #expect(!configuration.ephemeral && configuration.port == nil && configuration.systemUser == nil)
    }

    @Test func ephemeralConfigurationsAreUniqueTemporaryDirectories() {
        let first = LocalPostgresConfiguration.ephemeral(prefix: "lp-test")
        let second = LocalPostgresConfiguration.ephemeral(prefix: "lp-test")
        #expect(first.ephemeral)
        #expect(first.dataDirectory != second.dataDirectory)
        let temporary = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        #expect(first.dataDirectory.hasPrefix(FilePaths.absolute(temporary) + "/lp-test-"))
    }

    @Test func invalidConfigurationIsRejectedBeforeTouchingTheDisk() async throws {
        var configuration = LocalPostgresConfiguration.ephemeral(prefix: "lp-test-invalid")
        configuration.port = 70_000
        let cluster = LocalPostgresCluster(configuration: configuration, logger: TestSupport.logger)
        let error = await #expect(throws: LocalPostgresError.self) { try await cluster.start() }
        #expect(error?.description.contains("70000") == true)
        #expect(!FileManager.default.fileExists(atPath: configuration.dataDirectory))
        #expect(!FileManager.default.fileExists(atPath: configuration.dataDirectory + ".lock"))
    }

    @Test func serverBinariesAreFound() async throws {
        let binaries = try await PostgresBinaries.locate()
        #expect(PostgresBinaries.isServerDirectory(binaries.directory))
        #expect(binaries.psql != nil)
    }

    @Test func newestInstalledVersionWinsUnlessAClusterNeedsAnother() async throws {
        try await TestSupport.withTemporaryDirectory { root in
            for version in ["9.6", "15", "16"] {
                try FileManager.default.createDirectory(atPath: "\(root)/\(version)/bin", withIntermediateDirectories: true)
                // 16 is only partly installed (client tools only) and must be skipped.
                for program in version == "16" ? ["psql"] : ["initdb", "pg_ctl", "postgres"] {
                    _ = FileManager.default.createFile(
                        atPath: "\(root)/\(version)/bin/\(program)", contents: Data("#!/bin/sh\n".utf8),
                        attributes: [.posixPermissions: 0o755]
                    )
                }
            }
            let environment = ["PATH": "/nonexistent"]
            let newest = try await PostgresBinaries.locate(environment: environment, installRoot: root)
            #expect(newest.directory == "\(root)/15/bin")
            let matching = try await PostgresBinaries.locate(
                environment: environment, preferredMajorVersion: "9.6", installRoot: root
            )
            #expect(matching.directory == "\(root)/9.6/bin")
            let configured = try await PostgresBinaries.locate(
                environment: ["CHARTLY_PG_BINDIR": "\(root)/9.6/bin"], installRoot: "/nonexistent"
            )
            #expect(configured.directory == "\(root)/9.6/bin")
        }
    }

    @Test func missingBinariesNameThePackageToInstall() async throws {
        let error = await #expect(throws: LocalPostgresError.self) {
            try await PostgresBinaries.locate(environment: ["PATH": "/nonexistent"], installRoot: "/nonexistent/postgresql")
        }
        let message = error?.description ?? ""
        #expect(message.contains("`postgresql` package"))
        #expect(message.contains("/nonexistent/postgresql/*/bin"))
        #expect(message.contains("CHARTLY_PG_BINDIR"))

        let configured = await #expect(throws: LocalPostgresError.self) {
            try await PostgresBinaries.locate(environment: ["CHARTLY_PG_BINDIR": "/nonexistent/bin"])
        }
        #expect(configured?.description.contains("CHARTLY_PG_BINDIR=/nonexistent/bin") == true)
    }

    @Test func serverRunsAsAnUnprivilegedUser() async throws {
        let user = try SystemUser.resolve(configured: nil)
        #expect(user.uid != 0)
        if geteuid() == 0 {
            #expect(user.name == "postgres")
            #expect(!user.isCurrentUser)
        } else {
            #expect(user.isCurrentUser)
        }
        try await TestSupport.withCluster(.ephemeral(prefix: "lp-test-user")) { cluster in
            let info = try await cluster.start()
            let postmaster = try #require(await cluster.postmasterProcessID)
            var status = stat()
            #expect(stat("/proc/\(postmaster)", &status) == 0)
            #expect(status.st_uid == user.uid)
            #expect(try await TestSupport.psql(info, "SELECT 1") == "1")
        }
    }

    @Test func unknownSystemUserIsReportedByName() async throws {
        var configuration = LocalPostgresConfiguration.ephemeral(prefix: "lp-test-nouser")
        configuration.systemUser = "chartly-no-such-user"
        let cluster = LocalPostgresCluster(configuration: configuration, logger: TestSupport.logger)
        let error = await #expect(throws: LocalPostgresError.self) { try await cluster.start() }
        #expect(error?.description.contains("chartly-no-such-user") == true)
    }

    @Test(.enabled(if: geteuid() == 0, "only root switches to the postgres user"))
    func unreachableDataDirectoryNamesTheBlockingDirectory() async throws {
        try await TestSupport.withTemporaryDirectory { root in
            let privateDirectory = root + "/private"
            try FileManager.default.createDirectory(atPath: privateDirectory, withIntermediateDirectories: false)
            chmod(privateDirectory, 0o700)
            let configuration = LocalPostgresConfiguration(dataDirectory: privateDirectory + "/postgres")
            let cluster = LocalPostgresCluster(configuration: configuration, logger: TestSupport.logger)
            let error = await #expect(throws: LocalPostgresError.self) { try await cluster.start() }
            let message = error?.description ?? ""
            #expect(message.contains("may not enter \(privateDirectory)."), "\(message)")
            #expect(message.contains("`postgres`"))
            try await TestSupport.expectNothingRunning(configuration.dataDirectory)
        }
    }
}
