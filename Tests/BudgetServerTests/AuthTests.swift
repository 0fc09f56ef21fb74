import BudgetServer
import BudgetStore
import BudgetTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Tokens, scopes and the audit log", .timeLimit(.minutes(2)))
struct AuthTests {
    @Test("no token or a bad token is 401 with WWW-Authenticate")
    func unauthenticated() async throws {
        try await TestApp.fresh().test { client, _ in
            for token in [nil, "nonsense", "cbt_0123456789abcdef_" + String(repeating: "x", count: 43)] as [String?] {
                let response = try await client.postJSON("/v1/tenants/acme/usage", #"{"samples":[\#(sampleJSON())]}"#, token: token)
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                #expect(response.json?.error.code == "unauthenticated")
            }
        }
    }

    @Test("open routes need no token")
    func openRoutes() async throws {
        try await TestApp.fresh().test { client, _ in
            let health = try await client.send(.get, "/health", token: nil)
            let ready = try await client.send(.get, "/ready", token: nil)
            #expect(health.status == .ok)
            #expect(ready.status == .ok)
        }
    }

    @Test("a token is shown once, listed without its secret, and refused right after revocation")
    func tokenLifecycle() async throws {
        try await TestApp.fresh().test { client, store in
            let created = try await client.send(.post, "/v1/tokens", body: #"{"name":"agent","scopes":["acme:ingest"]}"#)
            #expect(created.status == .created)
            struct Created: Decodable { var token: String; var id: String; var scopes: [String] }
            let token = try JSONDecoder().decode(Created.self, from: Data(buffer: created.body))
            #expect(token.token.hasPrefix("cbt_\(token.id)_"))
            #expect(token.scopes == ["acme:ingest"])

            let listed = try await client.send(.get, "/v1/tokens")
            #expect(listed.status == .ok)
            #expect(listed.text.contains(token.id))
            #expect(!listed.text.contains(token.token))
            let secretPart = String(token.token.split(separator: "_")[2])
            #expect(try await store.count("SELECT count(*) FROM api_tokens WHERE encode(secret_hash, 'escape') LIKE '%' || \(secretPart) || '%'") == 0)

            #expect(try await client.postJSON("/v1/tenants/acme/usage", #"{"samples":[\#(sampleJSON())]}"#, token: token.token).status == .ok)
            #expect(try await client.send(.delete, "/v1/tokens/\(token.id)").status == .ok)
            let after = try await client.postJSON("/v1/tenants/acme/usage", #"{"samples":[\#(sampleJSON(minute: 1))]}"#, token: token.token)
            #expect(after.status == .unauthorized)
            #expect(try await client.send(.delete, "/v1/tokens/\(token.id)").status == .notFound)
        }
    }

    @Test("an expired token is refused")
    func expiredToken() async throws {
        try await TestApp.fresh().test { client, store in
            let token = try await client.createToken(scopes: ["acme:ingest"])
            let id = String(token.split(separator: "_")[1])
            try await store.client.query("UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = \(id)")
            #expect(try await client.postJSON("/v1/tenants/acme/usage", #"{"samples":[\#(sampleJSON())]}"#, token: token).status == .unauthorized)
        }
    }

    @Test("a token without the scope, or on another tenant, is 403 and reveals nothing")
    func forbidden() async throws {
        try await TestApp.fresh().test { client, _ in
            let reader = try await client.createToken(scopes: ["acme:read"])
            let otherTenant = try await client.createToken(scopes: ["globex:ingest"])
            let noScope = try await client.postJSON("/v1/tenants/acme/usage", #"{"samples":[\#(sampleJSON())]}"#, token: reader)
            #expect(noScope.status == .forbidden)
            let wrongTenant = try await client.postJSON("/v1/tenants/acme/usage", #"{"samples":[\#(sampleJSON())]}"#, token: otherTenant)
            #expect(wrongTenant.status == .forbidden)
            let missingTenant = try await client.postJSON("/v1/tenants/nobody-here/usage", #"{"samples":[\#(sampleJSON())]}"#, token: otherTenant)
            #expect(missingTenant.status == .forbidden)
            // Same answer whether the tenant has data or not.
            #expect(wrongTenant.json?.error.code == missingTenant.json?.error.code)
            #expect(try await client.send(.get, "/v1/tokens", token: reader).status == .forbidden)
            #expect(try await client.send(.get, "/v1/audit", token: reader).status == .forbidden)
        }
    }

    @Test("bad token requests name the field")
    func badTokenRequests() async throws {
        try await TestApp.fresh().test { client, _ in
            let cases: [(String, String)] = [
                (#"{"name":"x","scopes":["acme:fly"]}"#, "scopes[0]"),
                (#"{"name":"x","scopes":["ACME:read"]}"#, "scopes[0]"),
                (#"{"name":"x","scopes":[]}"#, "scopes"),
                (#"{"scopes":["admin"]}"#, "name"),
                (#"{"name":"","scopes":["admin"]}"#, "name"),
                (#"{"name":"x","scopes":"admin"}"#, "scopes"),
                (#"{"name":"x","scopes":["admin"],"expires_at":"2001-01-01T00:00:00Z"}"#, "expires_at"),
                (#"{"name":"x","scopes":["admin"],"expires_at":"soon"}"#, "expires_at"),
            ]
            for (body, field) in cases {
                let response = try await client.send(.post, "/v1/tokens", body: body)
                // An expiry already past is well-formed but contradicts the clock: 422.
                #expect(response.status == (body.contains("2001-01-01") ? .unprocessableContent : .badRequest), "\(body)")
                #expect(response.json?.error.field == field, "\(body): \(response.text)")
            }
        }
    }

    @Test("token changes are audited with their actor; the audit log refuses UPDATE and DELETE")
    func audit() async throws {
        try await TestApp.fresh().test { client, store in
            let created = try await client.createToken(name: "ci", scopes: ["acme:read"])
            let id = String(created.split(separator: "_")[1])
            _ = try await client.send(.delete, "/v1/tokens/\(id)")

            let page = try await client.send(.get, "/v1/audit?target_kind=token&limit=10")
            #expect(page.status == .ok)
            struct Page: Decodable {
                struct Entry: Decodable {
                    struct Actor: Decodable { var id: String; var name: String }
                    var action: String
                    var target: String
                    var actor: Actor
                }
                var entries: [Entry]
            }
            let entries = try JSONDecoder().decode(Page.self, from: Data(buffer: page.body)).entries
            #expect(entries.map(\.action) == ["token.revoke", "token.create"])
            #expect(entries.allSatisfy { $0.target == id && $0.actor.id == "bootstrap" })
            #expect(!page.text.contains(created))

            let firstPage = try await client.send(.get, "/v1/audit?limit=1")
            #expect(firstPage.text.contains(#""next":""#))

            await #expect(throws: (any Error).self) { try await store.client.query("UPDATE audit_log SET action = 'forged'") }
            await #expect(throws: (any Error).self) { try await store.client.query("DELETE FROM audit_log") }
            await #expect(throws: (any Error).self) { try await store.client.query("TRUNCATE audit_log") }
            #expect(try await store.count("SELECT count(*) FROM audit_log WHERE action LIKE 'token.%'") == 2)
        }
    }
}

@Suite("Rate limits and backpressure", .timeLimit(.minutes(2)))
struct BackpressureTests {
    @Test("a token past its rate gets 429 with Retry-After; another token is unaffected")
    func rateLimit() async throws {
        var configuration = ServerConfiguration()
        configuration.rateLimitPerSecond = 0.001  // no refill within the test, however slow the machine
        configuration.rateLimitBurst = 3
        try await TestApp.fresh(configuration: configuration).test { client, _ in
            let busy = try await client.createToken(scopes: ["acme:read"])
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<5 { statuses.append(try await client.send(.get, "/v1/audit", token: busy).status) }
            #expect(statuses.prefix(3).allSatisfy { $0 == .forbidden })  // allowed through the limiter, then refused by scope
            let limited = try await client.send(.get, "/v1/audit", token: busy)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] != nil)
            #expect(limited.json?.error.code == "rate_limited")
        }
    }

    @Test("ingest beyond the concurrency bound is 503 with Retry-After while control routes keep answering")
    func ingestSaturation() async throws {
        var configuration = ServerConfiguration()
        configuration.maximumConcurrentIngests = 2
        try await TestApp.fresh(configuration: configuration).test { client, _ in
            let big = #"{"samples":["# + (0..<10_000).map { sampleJSON(minute: $0) }.joined(separator: ",") + "]}"
            let results = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                for index in 0..<8 {
                    group.addTask {
                        let response = try await client.postJSON("/v1/tenants/t\(index)/usage", big)
                        return (response.status, response.headers[.retryAfter])
                    }
                }
                group.addTask {
                    // The control plane answers while ingest is saturated.
                    let response = try await client.send(.get, "/v1/tokens")
                    return (response.status == .ok ? .accepted : response.status, nil)
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.contains { $0.0 == .accepted })
            #expect(results.contains { $0.0 == .ok })
            let refused = results.filter { $0.0 == .serviceUnavailable }
            #expect(!refused.isEmpty)
            #expect(refused.allSatisfy { $0.1 != nil })
        }
    }
}
