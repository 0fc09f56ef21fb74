import AsyncHTTPClient
import BudgetCore
import Foundation
import NIOCore
import NIOFoundationCompat

/// Sends batches of samples to `POST /v1/tenants/{tenant}/usage`, honouring Retry-After and
/// setting aside samples the server refuses (naming their lines) so the rest still get in.
struct BatchSender {
    let client: ClientOptions
    let tenant: String
    var maximumAttempts = 8

    struct WireSample: Encodable {
        var environment: String
        var service: String
        var resource: String
        var quantity: Double
        var start: String
        var end: String
    }

    struct Body: Encodable {
        var samples: [WireSample]
    }

    struct Answer: Decodable {
        var accepted: Int
        var duplicates: Int
    }

    func send(_ batch: [(line: Int, sample: UsageSample)], into summary: inout IngestSummary) async throws {
        var pending = batch
        var attempt = 0
        while !pending.isEmpty {
            attempt += 1
            let body = Body(samples: pending.map {
                WireSample(
                    environment: $0.sample.environment, service: $0.sample.service, resource: $0.sample.resource.rawValue,
                    quantity: $0.sample.quantity, start: $0.sample.start.rfc3339, end: $0.sample.end.rfc3339
                )
            })
            let answer: APIClient.Answer
            do {
                answer = try await APIClient(options: client).send(.POST, "/v1/tenants/\(tenant)/usage", json: try JSONEncoder().encode(body), timeout: .seconds(120))
            } catch let error as APIClient.Unreachable {
                guard attempt < maximumAttempts else { throw ClientFailure(error.description) }
                try await Task.sleep(for: .seconds(min(30, 1 << min(attempt, 5))))
                continue
            }
            switch answer.status {
            case 200:
                let counts = try JSONDecoder().decode(Answer.self, from: answer.body)
                summary.accepted += counts.accepted
                summary.duplicates += counts.duplicates
                return
            case 429, 503:
                guard attempt < maximumAttempts else {
                    throw ClientFailure("the server stayed busy (\(answer.status)) after \(attempt) attempts")
                }
                try await Task.sleep(for: .seconds(min(60, max(1, answer.retryAfter ?? 1))))
            case 400, 409, 422:
                guard let failure = answer.error, let index = Self.sampleIndex(failure.field), pending.indices.contains(index) else {
                    throw ClientFailure("the server refused the batch: \(answer.error?.message ?? answer.text)")
                }
                summary.reject(line: pending[index].line, failure.message)
                pending.remove(at: index)
            default:
                throw ClientFailure("the server answered \(answer.status): \(answer.error?.message ?? answer.text)")
            }
        }
    }

    /// The index in `samples[12].quantity`.
    static func sampleIndex(_ field: String?) -> Int? {
        guard let field, field.hasPrefix("samples["), let close = field.firstIndex(of: "]") else { return nil }
        return Int(field[field.index(field.startIndex, offsetBy: 8)..<close])
    }
}

/// A client command that could not do its work; printed without a stack of Swift detail.
struct ClientFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
