import Foundation
import Testing
@testable import LocalPostgres
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Starting and stopping a cluster", .timeLimit(.minutes(2)))
struct LocalPostgresClusterTests {
    @Test func ephemeralClusterAcceptsConnectionsAndIsRemovedOnStop() async throws {
        let configuration = LocalPostgresConfiguration.ephemeral(prefix: "lp-test-ephemeral")
        let dataDirectory = configuration.dataDirectory
        try await TestSupport.withCluster(configuration) { cluster in
            let info = try await cluster.start()
            #expect(info.host == "127.0.0.1")
            #expect(info.username == "chartly" && info.database == "chartly")
            #expect(info.url == "postgres://chartly:\(info.password)@127.0.0.1:\(info.port)/chartly")
            #expect(try await TestSupport.psql(info, "SELECT 1") == "1")
            #expect(try await TestSupport.psql(info, "SELECT current_database()") == "chartly")
            // Only TCP on loopback, with password authentication.
            #expect(try await TestSupport.psql(info, "SHOW listen_addresses") == "127.0.0.1")
            #expect(try await TestSupport.psql(info, "SHOW unix_socket_directories") == "")
            #expect(try await TestSupport.psql(info, "SHOW max_connections") == "200")
            #expect(try await TestSupport.psql(info, "SHOW password_encryption") == "scram-sha-256")
            #expect(FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION"))
            #expect(await cluster.connectionInfo == info)
        }
        for path in [dataDirectory, dataDirectory + ".lock", dataDirectory + "-password", dataDirectory + ".log"] {
            #expect(!FileManager.default.fileExists(atPath: path), "\(path) survived stop()")
        }
        try await TestSupport.expectNothingRunning(dataDirectory)
    }

    @Test func wrongPasswordIsRejected() async throws {
        try await TestSupport.withCluster(.ephemeral(prefix: "lp-test-auth")) { cluster in
            var info = try await cluster.start()
            info.password = "not-the-password"
            await #expect(throws: LocalPostgresError.self) { try await TestSupport.psql(info, "SELECT 1") }
        }
    }

    @Test func persistentClusterKeepsDataAndPasswordAcrossRestarts() async throws {
        try await TestSupport.withTemporaryDirectory { root in
            let configuration = LocalPostgresConfiguration(dataDirectory: root + "/.chartly/postgres")
            let first = try await TestSupport.withCluster(configuration) { cluster in
                let info = try await cluster.start()
                _ = try await TestSupport.psql(info, "CREATE TABLE kept (value int); INSERT INTO kept VALUES (7)")
                return info
            }
            try await TestSupport.expectNothingRunning(configuration.dataDirectory)

            var status = stat()
            #expect(stat(root + "/.chartly/postgres-password", &status) == 0)
            #expect(status.st_mode & 0o777 == 0o600)
            #expect(status.st_uid == geteuid())

            try await TestSupport.withCluster(configuration) { cluster in
                let second = try await cluster.start()
                #expect(second.password == first.password)
                #expect(try await TestSupport.psql(second, "SELECT value FROM kept") == "7")
            }
            // Stopping a persistent cluster keeps its data.
            #expect(FileManager.default.fileExists(atPath: configuration.dataDirectory + "/PG_VERSION"))
            try await TestSupport.expectNothingRunning(configuration.dataDirectory)
        }
    }

    @Test func concurrentStartsShareOneServerAndStopIsIdempotent() async throws {
        let configuration = LocalPostgresConfiguration.ephemeral(prefix: "lp-test-concurrent")
        let cluster = LocalPostgresCluster(configuration: configuration, logger: TestSupport.logger)
        try await cluster.stop()  // before any start: nothing to do
        do {
            async let first = cluster.start()
            async let second = cluster.start()
            let (a, b) = try await (first, second)
            #expect(a == b)
            #expect(try await cluster.start() == a)
        } catch {
            try? await cluster.stop()
            throw error
        }
        async let stopA: Void = cluster.stop()
        async let stopB: Void = cluster.stop()
        _ = try await (stopA, stopB)
        try await cluster.stop()
        #expect(await cluster.connectionInfo == nil)
        try await TestSupport.expectNothingRunning(configuration.dataDirectory)
    }

    @Test func clusterCanBeStartedAgainAfterStop() async throws {
        let configuration = LocalPostgresConfiguration.ephemeral(prefix: "lp-test-again")
        try await TestSupport.withCluster(configuration) { cluster in
            _ = try await cluster.start()
            try await cluster.stop()
            let info = try await cluster.start()
            #expect(try await TestSupport.psql(info, "SELECT 1") == "1")
        }
        try await TestSupport.expectNothingRunning(configuration.dataDirectory)
    }

    @Test func occupiedConfiguredPortFailsWithTheServerLog() async throws {
        let listener = try TCPListener()
        defer { listener.release() }
        var configuration = LocalPostgresConfiguration.ephemeral(prefix: "lp-test-port")
        configuration.port = listener.port
        let cluster = LocalPostgresCluster(configuration: configuration, logger: TestSupport.logger)
        let error = await #expect(throws: LocalPostgresError.self) { try await cluster.start() }
        let message = error?.description ?? ""
        #expect(message.contains("did not start on \(configuration.dataDirectory)"))
        #expect(message.contains("could not bind"), "the log tail should explain: \(message)")
        #expect(message.contains(configuration.dataDirectory + ".log"))
        // A failed ephemeral start leaves nothing behind either.
        #expect(!FileManager.default.fileExists(atPath: configuration.dataDirectory))
        #expect(!FileManager.default.fileExists(atPath: configuration.dataDirectory + ".lock"))
        try await TestSupport.expectNothingRunning(configuration.dataDirectory)
    }
}

/// A loopback TCP socket listening on a kernel-chosen port, to make a port busy.
final class TCPListener: Sendable {
    let descriptor: Int32
    let port: Int

    init() throws {
        #if canImport(Glibc)
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let descriptor = self.descriptor
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && listen(descriptor, 1) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        try #require(ok)
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func release() {
        close(descriptor)
    }
}
