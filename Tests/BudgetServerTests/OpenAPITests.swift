import BudgetServer
import BudgetTestSupport
import Foundation
import HummingbirdTesting
import Testing
import Yams

@Suite("The OpenAPI document matches the routes")
struct OpenAPITests {
    static let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head"]

    static func documentedRoutes() throws -> Set<RouteDescription> {
        let yaml = try #require(try Yams.load(yaml: openAPIDocument) as? [String: Any])
        #expect(yaml["openapi"] as? String == "3.1.0")
        let paths = try #require(yaml["paths"] as? [String: Any])
        var routes: Set<RouteDescription> = []
        for (path, item) in paths {
            let operations = try #require(item as? [String: Any])
            for (method, operation) in operations where methods.contains(method) {
                routes.insert(RouteDescription(method: method.uppercased(), path: path))
                let responses = try #require((operation as? [String: Any])?["responses"] as? [String: Any], "\(method) \(path) has no responses")
                #expect(!responses.isEmpty)
            }
        }
        return routes
    }

    @Test("every served route is described, and every described route is served")
    func routesMatch() async throws {
        let app = try await TestApp.fresh()
        let served = Set(app.routes)
        let documented = try Self.documentedRoutes()
        #expect(served.subtracting(documented).sorted() == [], "served but not described")
        #expect(documented.subtracting(served).sorted() == [], "described but not served")
    }

    @Test("GET /openapi.yaml serves the document without a token")
    func served() async throws {
        try await TestApp.fresh().test { client, _ in
            let response = try await client.send(.get, "/openapi.yaml", token: nil)
            #expect(response.status == .ok)
            #expect(response.text == openAPIDocument)
        }
    }
}

extension OpenAPITests {
    @Test("the document is valid OpenAPI 3.1 (openapi-spec-validator)")
    func validDocument() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("openapi-\(UUID().uuidString).yaml")
        try openAPIDocument.write(to: directory, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: directory) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            "import sys, yaml; from openapi_spec_validator import validate; validate(yaml.safe_load(open(sys.argv[1]))); print('valid')",
            directory.path,
        ]
        let result = try await Blocking.run(process, separateStandardError: false)
        #expect(result.status == 0, "\(result.stdout)")
    }
}

extension OpenAPITests {
    @Test("a served path asked with a method it does not serve answers 405 with Allow; an unknown path stays 404")
    func methodNotAllowed() async throws {
        try await TestApp.fresh().test { client, _ in
            let patch = try await client.send(.patch, "/v1/tenants/acme/budgets/monthly", body: "{}")
            #expect(patch.status == .methodNotAllowed, "\(patch.text)")
            #expect(patch.headers[.allow] == "DELETE, GET, PUT")
            #expect(patch.text.contains("method_not_allowed"))
            let post = try await client.send(.post, "/v1/tokens/0123456789abcdef")
            #expect(post.status == .methodNotAllowed)
            #expect(post.headers[.allow] == "DELETE")
            let unknown = try await client.send(.get, "/v1/tenants/acme/nothing-here")
            #expect(unknown.status == .notFound)
            let unauthenticated = try await client.send(.patch, "/v1/tenants/acme/budgets/monthly", token: nil)
            #expect(unauthenticated.status == .unauthorized)
        }
    }
}

extension OpenAPITests {
    @Test("a query value holding U+0000 is 400 naming the parameter, never a database error (schemathesis found the 500)")
    func nulInQuery() async throws {
        try await TestApp.fresh().test { client, _ in
            let audit = try await client.send(.get, "/v1/audit?actor=a%00b")
            #expect(audit.status == .badRequest, "\(audit.text)")
            #expect(audit.json?.error.field == "actor")
            let costs = try await client.send(.get, "/v1/tenants/acme/costs?environment=%00")
            #expect(costs.status == .badRequest)
        }
    }
}
