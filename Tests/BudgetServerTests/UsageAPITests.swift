import BudgetCore
import BudgetStore
import BudgetTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// One valid sample as JSON, for minute `minute` of 2026-11-01.
func sampleJSON(minute: Int = 0, environment: String = "prod", service: String = "api", quantity: String = "2") -> String {
    let start = 1_793_491_200 + minute * 60  // 2026-11-01T00:00:00Z
    let startText = Timestamp(seconds: Int64(start)).rfc3339
    let endText = Timestamp(seconds: Int64(start + 60)).rfc3339
    return #"{"environment":"\#(environment)","service":"\#(service)","resource":"cpu_cores","quantity":\#(quantity),"start":"\#(startText)","end":"\#(endText)"}"#
}

@Suite("POST /v1/tenants/{tenant}/usage", .timeLimit(.minutes(2)))
struct UsageAPITests {
    @Test("JSON samples are stored and re-sent ones are duplicates")
    func ingestJSON() async throws {
        try await TestApp.fresh().test { client, store in
            let body = #"{"samples":[\#(sampleJSON(minute: 0)),\#(sampleJSON(minute: 1))]}"#
            let first = try await client.postJSON("/v1/tenants/acme/usage", body)
            #expect(first.status == .ok)
            #expect(first.text == #"{"accepted":2,"duplicates":0}"#)
            let second = try await client.postJSON("/v1/tenants/acme/usage", body)
            #expect(second.text == #"{"accepted":0,"duplicates":2}"#)
            #expect(try await store.count("SELECT count(*) FROM usage_samples") == 2)
        }
    }

    @Test("NDJSON takes one sample per line, blank lines and CRLF allowed")
    func ingestNDJSON() async throws {
        try await TestApp.fresh().test { client, store in
            let body = sampleJSON(minute: 0) + "\r\n\n" + sampleJSON(minute: 1) + "\n"
            let response = try await client.postJSON("/v1/tenants/acme/usage", body, contentType: "application/x-ndjson")
            #expect(response.status == .ok)
            #expect(response.text == #"{"accepted":2,"duplicates":0}"#)
            #expect(try await store.count("SELECT count(*) FROM usage_samples") == 2)
        }
    }

    @Test("a changed sample is a 409 naming it, and nothing of that request is stored")
    func conflict() async throws {
        try await TestApp.fresh().test { client, store in
            _ = try await client.postJSON("/v1/tenants/acme/usage", #"{"samples":[\#(sampleJSON(minute: 0))]}"#)
            let response = try await client.postJSON(
                "/v1/tenants/acme/usage",
                #"{"samples":[\#(sampleJSON(minute: 5)),\#(sampleJSON(minute: 0, quantity: "3"))]}"#
            )
            #expect(response.status == .conflict)
            #expect(response.json?.error.code == "sample_conflict")
            #expect(response.json?.error.field == "samples[1]")
            #expect(try await store.count("SELECT count(*) FROM usage_samples") == 1)
        }
    }

    struct BadInput: Sendable, CustomTestStringConvertible {
        var name: String
        var body: String
        var contentType: String = "application/json"
        var status: HTTPResponse.Status = .badRequest
        var code: String
        var field: String?
        var path: String = "/v1/tenants/acme/usage"
        var testDescription: String { name }
    }

    static let good = sampleJSON(minute: 0)

    static let badInputs: [BadInput] = [
        BadInput(name: "malformed JSON", body: #"{"samples":[\#(good),"#, code: "malformed_json"),
        BadInput(name: "not an object", body: "[1,2]", code: "invalid_type"),
        BadInput(name: "samples not an array", body: #"{"samples":{"a":1}}"#, code: "invalid_type", field: "samples"),
        BadInput(name: "a sample that is not an object", body: #"{"samples":[\#(good),7]}"#, code: "invalid_type", field: "samples[1]"),
        BadInput(name: "no samples key", body: #"{"data":[]}"#, code: "missing_field", field: "samples"),
        BadInput(name: "empty samples", body: #"{"samples":[]}"#, code: "no_samples", field: "samples"),
        BadInput(
            name: "malformed NDJSON line", body: good + "\n{\"environment\": \n", contentType: "application/x-ndjson",
            code: "malformed_json", field: "samples[1]"
        ),
        BadInput(
            name: "missing field",
            body: #"{"samples":[\#(good),{"environment":"prod","service":"api","resource":"cpu_cores","start":"2026-11-01T00:00:00Z","end":"2026-11-01T00:01:00Z"}]}"#,
            code: "missing_field", field: "samples[1].quantity"
        ),
        BadInput(
            name: "unknown resource",
            body: #"{"samples":[\#(good.replacingOccurrences(of: "cpu_cores", with: "gpu_hours"))]}"#,
            code: "unknown_resource", field: "samples[0].resource"
        ),
        BadInput(name: "negative quantity", body: #"{"samples":[\#(sampleJSON(quantity: "-1"))]}"#, code: "invalid_quantity", field: "samples[0].quantity"),
        BadInput(name: "quantity beyond Double", body: #"{"samples":[\#(sampleJSON(quantity: "1e400"))]}"#, code: "invalid_quantity", field: "samples[0].quantity"),
        BadInput(name: "NaN as a string", body: #"{"samples":[\#(sampleJSON(quantity: "\"NaN\""))]}"#, code: "invalid_type", field: "samples[0].quantity"),
        BadInput(name: "NaN literal", body: #"{"samples":[\#(sampleJSON(quantity: "NaN"))]}"#, code: "malformed_json"),
        BadInput(name: "Infinity literal", body: #"{"samples":[\#(sampleJSON(quantity: "Infinity"))]}"#, code: "malformed_json"),
        BadInput(
            name: "end before start",
            body: #"{"samples":[{"environment":"prod","service":"api","resource":"cpu_cores","quantity":1,"start":"2026-11-01T00:01:00Z","end":"2026-11-01T00:00:00Z"}]}"#,
            status: .unprocessableContent, code: "invalid_interval", field: "samples[0].end"
        ),
        BadInput(
            name: "end equal to start",
            body: #"{"samples":[{"environment":"prod","service":"api","resource":"cpu_cores","quantity":1,"start":"2026-11-01T00:01:00Z","end":"2026-11-01T00:01:00Z"}]}"#,
            status: .unprocessableContent, code: "invalid_interval", field: "samples[0].end"
        ),
        BadInput(
            name: "unparseable timestamp",
            body: #"{"samples":[{"environment":"prod","service":"api","resource":"cpu_cores","quantity":1,"start":"yesterday","end":"2026-11-01T00:00:00Z"}]}"#,
            code: "invalid_timestamp", field: "samples[0].start"
        ),
        BadInput(
            name: "timestamp without offset",
            body: #"{"samples":[{"environment":"prod","service":"api","resource":"cpu_cores","quantity":1,"start":"2026-11-01T00:00:00","end":"2026-11-01T00:01:00Z"}]}"#,
            code: "invalid_timestamp", field: "samples[0].start"
        ),
        BadInput(name: "upper-case environment", body: #"{"samples":[\#(sampleJSON(environment: "Prod"))]}"#, code: "invalid_name", field: "samples[0].environment"),
        BadInput(name: "service name too long", body: #"{"samples":[\#(sampleJSON(service: String(repeating: "a", count: 64)))]}"#, code: "invalid_name", field: "samples[0].service"),
        BadInput(name: "service with a slash", body: #"{"samples":[\#(sampleJSON(service: "a/b"))]}"#, code: "invalid_name", field: "samples[0].service"),
        BadInput(name: "bad tenant in the path", body: #"{"samples":[\#(good)]}"#, code: "invalid_name", field: "tenant", path: "/v1/tenants/ACME/usage"),
        BadInput(name: "wrong content type", body: #"{"samples":[\#(good)]}"#, contentType: "text/plain", status: .unsupportedMediaType, code: "unsupported_media_type", field: "Content-Type"),
        BadInput(name: "no content type", body: #"{"samples":[\#(good)]}"#, contentType: "", status: .unsupportedMediaType, code: "unsupported_media_type", field: "Content-Type"),
        BadInput(
            name: "more than 10,000 samples",
            body: #"{"samples":["# + Array(repeating: good, count: 10_001).joined(separator: ",") + "]}",
            status: .contentTooLarge, code: "too_many_samples", field: "samples"
        ),
        BadInput(
            name: "more than 10,000 NDJSON lines",
            body: Array(repeating: good, count: 10_001).joined(separator: "\n"), contentType: "application/x-ndjson",
            status: .contentTooLarge, code: "too_many_samples", field: "samples"
        ),
        BadInput(
            name: "a body over 8 MiB",
            body: #"{"samples":[\#(good)],"padding":""# + String(repeating: "x", count: 8 * 1024 * 1024) + #""}"#,
            status: .contentTooLarge, code: "body_too_large"
        ),
    ]

    @Test("bad input gets the JSON error naming the field, and nothing is stored")
    func badInput() async throws {
        try await TestApp.fresh().test { client, store in
            for input in Self.badInputs {
                try await Self.check(input, client: client, store: store)
            }
        }
    }

    static func check(_ input: BadInput, client: some TestClientProtocol, store: BudgetStore) async throws {
        do {
            // A valid sample first, so "nothing stored" also covers the good part of a bad request.
            var headers: HTTPFields = [.authorization: "Bearer \(TestApp.adminToken)"]
            if !input.contentType.isEmpty { headers[.contentType] = input.contentType }
            let response = try await client.execute(uri: input.path, method: .post, headers: headers, body: ByteBuffer(string: input.body))
            #expect(response.status == input.status, "\(input.name): \(response.text.prefix(300))")
            let error = try #require(response.json, "\(input.name): not the JSON error shape: \(response.text.prefix(300))")
            #expect(error.error.code == input.code, "\(input.name)")
            #expect(!error.error.message.isEmpty)
            if let field = input.field { #expect(error.error.field == field, "\(input.name)") }
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            let stored = try await store.count("SELECT count(*) FROM usage_samples")
            #expect(stored == 0, "\(input.name)")
        }
    }

    @Test("an NDJSON error names the line")
    func ndjsonLineNumber() async throws {
        try await TestApp.fresh().test { client, _ in
            let body = Self.good + "\n\n" + sampleJSON(minute: 2, quantity: "-5") + "\n"
            let response = try await client.postJSON("/v1/tenants/acme/usage", body, contentType: "application/x-ndjson")
            #expect(response.status == .badRequest)
            #expect(response.json?.error.field == "samples[1].quantity")
            #expect(response.json?.error.message.hasPrefix("line 3:") == true)
        }
    }

    @Test("unknown routes and methods answer with the JSON error shape")
    func unknownRoute() async throws {
        try await TestApp.fresh().test { client, _ in
            let response = try await client.send(.get, "/v1/nothing-here")
            #expect(response.status == .notFound)
            #expect(response.json?.error.code == "not_found")
        }
    }
}
