import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// The simulator's HTTP client for the real service: small JSON bodies, bearer token, and a few retries when
/// the service is busy (429/503) or the connection drops, so a transient hiccup never changes the run.
struct SimulationAPI: Sendable {
    let baseURL: String
    let token: String
    let counters = Counters()

    final class Counters: Sendable {
        let requests = Atomic<Int>(0)
        let retries = Atomic<Int>(0)
    }

    struct Answer {
        var status: Int
        var body: ByteBuffer
        var text: String { String(buffer: body) }
    }

    func send(_ method: HTTPMethod, _ path: String, body: String? = nil) async throws -> Answer {
        var attempt = 0
        while true {
            attempt += 1
            counters.requests.add(1, ordering: .relaxed)
            var request = HTTPClientRequest(url: baseURL + path)
            request.method = method
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: body))
            }
            do {
                let response = try await BenchHTTP.client.execute(request, timeout: .seconds(60))
                let collected = try await response.body.collect(upTo: 16 << 20)
                let status = Int(response.status.code)
                if (status == 429 || status == 503), attempt < 8 {
                    counters.retries.add(1, ordering: .relaxed)
                    try await Task.sleep(for: .milliseconds(50 * attempt))
                    continue
                }
                return Answer(status: status, body: collected)
            } catch let error as HTTPClientError where attempt < 8 && error != .deadlineExceeded {
                counters.retries.add(1, ordering: .relaxed)
                try await Task.sleep(for: .milliseconds(50 * attempt))
            }
        }
    }

    /// Sends and requires a 2xx answer.
    @discardableResult
    func expect(_ method: HTTPMethod, _ path: String, body: String? = nil) async throws -> Answer {
        let answer = try await send(method, path, body: body)
        guard (200..<300).contains(answer.status) else {
            throw ClientFailure("\(method.rawValue) \(path) answered \(answer.status): \(answer.text.prefix(400))")
        }
        return answer
    }

    func decode<T: Decodable>(_ type: T.Type, _ answer: Answer) throws -> T {
        try JSONDecoder().decode(type, from: Data(answer.body.readableBytesView))
    }
}
