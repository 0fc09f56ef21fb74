import BudgetCore
import BudgetServer
import BudgetTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Every route gets garbage; it must answer with the JSON error shape, never a 500, never crash.
@Suite("Hostile input on every route", .timeLimit(.minutes(5)))
struct HostileInputTests {
    static let hostileNames = [
        "ACME", "a'--", "x;DROP TABLE usage_samples", "..", "%2e%2e%2fetc", "a%00b", "ünïcödé", "💸", String(repeating: "a", count: 300),
        "a b", "%F0%9F%92%B8", "-leading", "_system",
    ]

    static func hostileBodies() -> [(String, ByteBuffer)] {
        var generator = SeededGenerator(seed: 42)
        var bodies: [(String, ByteBuffer)] = []
        for index in 0..<8 {
            let bytes = (0..<(64 << index)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            bodies.append(("random \(bytes.count) bytes", ByteBuffer(bytes: bytes)))
        }
        bodies.append(("truncated JSON", ByteBuffer(string: #"{"samples":[{"environment":"prod","serv"#)))
        bodies.append(("deeply nested arrays", ByteBuffer(string: String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000))))
        bodies.append(("deeply nested objects", ByteBuffer(string: String(repeating: #"{"a":"#, count: 50_000) + "1" + String(repeating: "}", count: 50_000))))
        bodies.append(("huge number", ByteBuffer(string: #"{"samples":[{"quantity":1"# + String(repeating: "9", count: 5000) + "}]}")))
        bodies.append(("wrong types", ByteBuffer(string: #"{"samples":"all","name":7,"scopes":{"a":1},"amount":[true]}"#)))
        bodies.append(("nulls", ByteBuffer(string: #"{"samples":null,"name":null,"scopes":null}"#)))
        bodies.append(("SQL fragments", ByteBuffer(string: #"{"samples":[{"environment":"prod'; DROP TABLE usage_samples;--","service":"api","resource":"cpu_cores","quantity":1,"start":"2026-11-01T00:00:00Z","end":"2026-11-01T00:01:00Z"}],"name":"x' OR '1'='1","scopes":["admin' --"]}"#)))
        bodies.append(("odd unicode", ByteBuffer(string: "{\"name\":\"\u{202E}\u{0000}\u{FFFF}🧨\",\"scopes\":[\"\u{00E9}cole:read\"]}")))
        bodies.append(("invalid UTF-8", ByteBuffer(bytes: [0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D])))
        bodies.append(("empty", ByteBuffer()))
        return bodies
    }

    @Test("random bytes, broken JSON, SQL and odd names on every route: JSON errors, no 500")
    func everyRoute() async throws {
        let app = try await TestApp.fresh()
        let routes = app.routes
        try await app.test { client, store in
            for route in routes {
                let method = HTTPRequest.Method(route.method)!
                for name in Self.hostileNames {
                    let path = route.path.replacingOccurrences(of: "{tenant}", with: name).replacingOccurrences(of: "{id}", with: name)
                        .replacingOccurrences(of: "{environment}", with: name).replacingOccurrences(of: "{service}", with: name)
                        .replacingOccurrences(of: "{name}", with: name)
                    guard path != route.path || name == Self.hostileNames[0] else { continue }
                    let response = try await client.send(method, path, body: method == .get || method == .delete ? nil : "{}")
                    try Self.check(response, "\(route) as \(path)", html: !route.path.hasPrefix("/v1"))
                }
                guard method != .get && method != .delete else { continue }
                let path = route.path.replacingOccurrences(of: "{tenant}", with: "acme").replacingOccurrences(of: "{id}", with: "0123456789abcdef")
                    .replacingOccurrences(of: "{environment}", with: "prod").replacingOccurrences(of: "{service}", with: "api")
                    .replacingOccurrences(of: "{name}", with: "x")
                for (label, body) in Self.hostileBodies() {
                    for contentType in ["application/json", "application/x-ndjson", "application/octet-stream"] {
                        let response = try await client.execute(
                            uri: path, method: method,
                            headers: [.contentType: contentType, .authorization: "Bearer \(TestApp.adminToken)"], body: body
                        )
                        try Self.check(response, "\(route) with \(label) as \(contentType)", html: !route.path.hasPrefix("/v1"))
                    }
                }
            }
            #expect(try await client.send(.get, "/health", token: nil).status == .ok)
            #expect(try await store.count("SELECT count(*) FROM usage_samples WHERE environment LIKE '%DROP%'") == 0)
        }
    }

    @Test("hostile Authorization headers are 401s")
    func hostileAuthorization() async throws {
        try await TestApp.fresh().test { client, _ in
            for header in ["Bearer", "Bearer ", "Basic YWRtaW46YWRtaW4=", "Bearer " + String(repeating: "A", count: 10_000), "Bearer cbt_zzzzzzzzzzzzzzzz_" + String(repeating: "x", count: 40), "Bearer ' OR 1=1 --"] {
                let response = try await client.execute(uri: "/v1/tokens", method: .get, headers: [.authorization: header])
                #expect(response.status == .unauthorized, "\(header.prefix(40))")
                #expect(response.json != nil)
            }
        }
    }

    /// No 500s; API errors in the JSON error shape, dashboard errors as HTML pages.
    static func check(_ response: TestResponse, _ label: String, html: Bool = false) throws {
        #expect(response.status.code < 500 || response.status == .serviceUnavailable, "\(label): \(response.status) \(response.text.prefix(200))")
        if response.status.code >= 400 {
            if html && response.headers[.contentType] == "text/html; charset=utf-8" {
                #expect(response.text.hasPrefix("<!DOCTYPE html>"), "\(label): not a page: \(response.text.prefix(200))")
            } else {
                #expect(response.json != nil, "\(label): not the JSON error shape: \(response.text.prefix(200))")
            }
        }
    }
}
