import BudgetServer
import BudgetStore
import BudgetTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore

/// The real application on a fresh database, driven in-process through HummingbirdTesting.
struct TestApp {
    let store: BudgetStore
    let app: Application<RouterResponder<BudgetRequestContext>>
    let routes: [RouteDescription]

    /// The bootstrap admin token every test app accepts.
    static let adminToken = "test-admin-token-0123456789"

    init(url: DatabaseURL, configuration: ServerConfiguration = ServerConfiguration(), acquireTimeout: Duration = TestDatabase.acquireTimeout) throws {
        var configuration = configuration
        if configuration.bootstrapAdminToken == nil { configuration.bootstrapAdminToken = Self.adminToken }
        configuration.backgroundJobs = false  // tests drive alert jobs and delivery themselves
        store = BudgetStore(url: url, maximumConnections: 6, acquireTimeout: acquireTimeout, logger: TestDatabase.testLogger)
        routes = buildRouter(configuration: configuration, store: store, expectedMigration: 0).routes
        app = buildApplication(
            configuration: configuration,
            store: store,
            expectedMigration: try Migrator(store: store).latestVersion,
            logger: TestDatabase.testLogger
        )
    }

    static func fresh(engine: TestEngine = .postgres, configuration: ServerConfiguration = ServerConfiguration()) async throws -> TestApp {
        try TestApp(url: try await TestDatabase.make(engine: engine), configuration: configuration)
    }

    func test<T: Sendable>(_ body: @Sendable (any TestClientProtocol, BudgetStore) async throws -> T) async throws -> T {
        let store = self.store
        return try await app.test(.router) { client in try await body(client, store) }
    }
}

/// The API's error body.
struct ErrorBody: Decodable {
    struct Detail: Decodable {
        var code: String
        var message: String
        var field: String?
    }
    var error: Detail
}

extension TestResponse {
    var json: ErrorBody? { try? JSONDecoder().decode(ErrorBody.self, from: Data(buffer: body)) }
    var text: String { String(buffer: body) }
}

extension TestClientProtocol {
    /// POSTs `text`; authenticated as the bootstrap admin unless another token is given.
    func postJSON(_ uri: String, _ text: String, contentType: String = "application/json", token: String? = TestApp.adminToken) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: contentType]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: text))
    }

    /// Sends a request with a bearer token (the bootstrap admin's unless another is given).
    func send(_ method: HTTPRequest.Method, _ uri: String, body: String? = nil, token: String? = TestApp.adminToken) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if body != nil { headers[.contentType] = "application/json" }
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    /// Creates a token through the API and returns its secret.
    func createToken(name: String = "test", scopes: [String]) async throws -> String {
        let scopeList = scopes.map { "\"\($0)\"" }.joined(separator: ",")
        let response = try await send(.post, "/v1/tokens", body: #"{"name":"\#(name)","scopes":[\#(scopeList)]}"#)
        guard response.status == .created else { throw TestFailure("token creation failed: \(response.status) \(response.text)") }
        return try JSONDecoder().decode(CreatedToken.self, from: Data(buffer: response.body)).token
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

struct CreatedToken: Decodable {
    var token: String
}
