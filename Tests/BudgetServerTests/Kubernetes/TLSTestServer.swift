import AsyncHTTPClient
import BudgetServer
import BudgetStore
import BudgetTestSupport
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

/// The real application listening on a loopback port over TLS, with its certificate from files, and a client
/// that trusts only the test CA — what the API server does with the webhook's caBundle.
struct TLSTestServer {
    let port: Int
    let url: DatabaseURL

    /// Runs `body` with a store of its own on the server's database (the server's store is the server's).
    func inspect<T: Sendable>(_ body: @escaping @Sendable (BudgetStore) async throws -> T) async throws -> T {
        let store = BudgetStore(url: url, maximumConnections: 2, acquireTimeout: TestDatabase.acquireTimeout, logger: TestDatabase.testLogger)
        return try await store.whileRunning { try await body(store) }
    }

    /// Runs one server per URL in `urls` (replicas of the service on one database or several), calls `body`,
    /// then stops them.
    static func run<T: Sendable>(
        databases urls: [DatabaseURL], certificate: String, key: String, configuration: ServerConfiguration = ServerConfiguration(),
        _ body: @escaping @Sendable ([TLSTestServer]) async throws -> T
    ) async throws -> T {
        var servers: [TLSTestServer] = []
        var services: [any Service] = []
        for url in urls {
            var configuration = configuration
            configuration.port = try freePort()
            configuration.bootstrapAdminToken = TestApp.adminToken
            configuration.backgroundJobs = false
            configuration.rateLimitPerSecond = 0
            configuration.tls = try CertificateReloader(certificatePath: certificate, keyPath: key, logger: TestDatabase.testLogger)
            let store = BudgetStore(url: url, maximumConnections: 6, acquireTimeout: TestDatabase.acquireTimeout, logger: TestDatabase.testLogger)
            let app = buildApplication(
                configuration: configuration, store: store, expectedMigration: try Migrator(store: store).latestVersion, logger: TestDatabase.testLogger
            )
            services.append(app)
            servers.append(TLSTestServer(port: configuration.port, url: url))
        }
        let group = ServiceGroup(configuration: .init(services: services, logger: TestDatabase.testLogger))
        let ready = servers
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            tasks.addTask {
                defer { Task { await group.triggerGracefulShutdown() } }
                for server in ready { try await server.waitUntilListening() }
                return try await body(ready)
            }
            var result: T?
            for try await value in tasks where value != nil { result = value }
            guard let result else { throw TestFailure("the servers stopped before the test ended") }
            return result
        }
    }

    var baseURL: String { "https://localhost:\(port)" }

    func waitUntilListening() async throws {
        for _ in 0..<200 {
            if (try? LoopbackProbe.connectable(port: port)) == true { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TestFailure("server on port \(port) never listened")
    }
}

enum LoopbackProbe {
    /// Whether something accepts TCP connections on the loopback port.
    static func connectable(port: Int) throws -> Bool {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return result == 0
        #else
        return true
        #endif
    }
}

/// An HTTPS client that trusts one CA's PEM only and verifies the host name.
final class TrustingClient: Sendable {
    let client: HTTPClient

    init(caPEM: String) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8)))
        tls.certificateVerification = .fullVerification
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// POSTs JSON; the status and the body.
    func post(_ url: String, _ body: String, token: String?, contentType: String = "application/json") async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: contentType)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), String(buffer: bytes))
    }

    func get(_ url: String, token: String?) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: url)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), String(buffer: bytes))
    }

    func shutdown() async { try? await client.shutdown() }
}
