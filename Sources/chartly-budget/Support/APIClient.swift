import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Talks to a running server for the client commands: JSON in, JSON out, the API's error shape decoded.
struct APIClient {
    let options: ClientOptions

    struct Answer {
        var status: Int
        var body: Data
        var retryAfter: Int?

        /// The `{"error": {...}}` of a failed answer.
        var error: ErrorAnswer.Detail? { (try? JSONDecoder().decode(ErrorAnswer.self, from: body))?.error }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    struct ErrorAnswer: Decodable {
        struct Detail: Decodable {
            var code: String
            var message: String
            var field: String?
        }
        var error: Detail
    }

    /// One client for the process. It does not retry refused connections by itself: the
    /// commands decide (ingest retries with backoff, decide fails closed at once).
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(5)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// Sends one request; throws only when the server cannot be reached.
    func send(_ method: HTTPMethod, _ path: String, json: Data? = nil, timeout: TimeAmount = .seconds(60)) async throws -> Answer {
        var request = HTTPClientRequest(url: options.baseURL + path)
        request.method = method
        if let token = options.resolvedToken { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: json))
        }
        let response: HTTPClientResponse
        do {
            response = try await Self.http.execute(request, timeout: timeout)
        } catch {
            throw Unreachable(url: options.baseURL, underlying: error)
        }
        let bytes = try await response.body.collect(upTo: 64 << 20)
        let answer = Answer(
            status: Int(response.status.code),
            body: Data(buffer: bytes),
            retryAfter: response.headers.first(name: "Retry-After").flatMap(Int.init)
        )
        HTTPTrace.shared?.record(
            method: method.rawValue, path: path, request: json,
            status: answer.status, contentType: response.headers.first(name: "Content-Type"), response: answer.body
        )
        return answer
    }

    /// Sends and decodes a 2xx answer, or throws the server's error message.
    func call<T: Decodable>(_ method: HTTPMethod, _ path: String, json: Data? = nil, as type: T.Type) async throws -> T {
        let answer = try await send(method, path, json: json)
        guard (200..<300).contains(answer.status) else {
            throw ClientFailure("the server answered \(answer.status): \(answer.error?.message ?? answer.text)")
        }
        return try JSONDecoder().decode(T.self, from: answer.body)
    }

    struct Unreachable: Error, CustomStringConvertible {
        var url: String
        var underlying: any Error
        var description: String { "cannot reach \(url): \(underlying)" }
    }
}

/// `CHARTLY_HTTP_TRACE=FILE`: every request a client command sends and the answer it got, appended to FILE as one
/// JSON object per line (method, path with query, request body, status, content type, answer body). Headers are
/// never written, so no token reaches the file. The tests check each exchange against the OpenAPI document.
final class HTTPTrace: Sendable {
    static let shared: HTTPTrace? = ProcessInfo.processInfo.environment["CHARTLY_HTTP_TRACE"].flatMap { path in
        path.isEmpty ? nil : HTTPTrace(path: path)
    }

    let path: String
    private let lock = NSLock()

    init(path: String) { self.path = path }

    func record(method: String, path requestPath: String, request: Data?, status: Int, contentType: String?, response: Data) {
        func body(_ data: Data?) -> Any {
            guard let data, !data.isEmpty else { return NSNull() }
            return (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) ?? String(decoding: data, as: UTF8.self)
        }
        let entry: [String: Any] = [
            "method": method, "path": requestPath, "request": body(request),
            "status": status, "content_type": contentType ?? NSNull(), "response": body(response),
        ]
        guard var line = try? JSONSerialization.data(withJSONObject: entry, options: [.sortedKeys, .fragmentsAllowed]) else { return }
        line.append(0x0A)
        lock.withLock {
            guard let handle = FileHandle(forWritingAtPath: path) ?? {
                FileManager.default.createFile(atPath: path, contents: nil)
                return FileHandle(forWritingAtPath: path)
            }() else { return }
            defer { try? handle.close() }
            _ = try? handle.seekToEnd()
            try? handle.write(contentsOf: line)
        }
    }
}
