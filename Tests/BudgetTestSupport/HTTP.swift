import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A small HTTP client for black-box tests.
public enum HTTP {
    public static func get(_ url: String, headers: [String: String] = [:]) async throws -> (Int, String) {
        try await send(url, method: .GET, headers: headers, body: nil)
    }

    public static func post(_ url: String, headers: [String: String] = [:], body: String, contentType: String = "application/json") async throws -> (Int, String) {
        var headers = headers
        headers["Content-Type"] = contentType
        return try await send(url, method: .POST, headers: headers, body: body)
    }

    public static func send(_ url: String, method: HTTPMethod, headers: [String: String], body: String?) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), String(buffer: bytes))
    }
}
