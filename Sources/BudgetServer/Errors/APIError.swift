import BudgetCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An error answer of the API: `{"error": {"code", "message", "field"}}` with its status.
public struct APIError: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var field: String?
    /// Seconds after which a retry may succeed (`Retry-After`), for 429 and 503.
    public var retryAfter: Int?
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, code: String, message: String, field: String? = nil, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.retryAfter = retryAfter
    }

    public init(_ status: HTTPResponse.Status, _ fieldError: FieldError) {
        self.init(status, code: fieldError.code, message: fieldError.message, field: fieldError.field)
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    struct Body: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
            var field: String?
        }
        var error: Detail
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        makeResponse()
    }

    /// The JSON response, built without a request (also used by the error middleware).
    func makeResponse() -> Response {
        let body = Body(error: .init(code: code, message: message, field: field))
        let data = (try? JSONEncoder.api.encode(body)) ?? Data(#"{"error":{"code":"internal_error","message":"error"}}"#.utf8)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        if let retryAfter { fields[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension APIError {
    static func invalidName(_ field: String) -> APIError {
        APIError(
            .badRequest,
            code: "invalid_name",
            message: "\(field) must match \(PartitionKey.pattern) (lower-case letters, digits, '.', '_', '-'; at most 63 characters)",
            field: field
        )
    }
}

extension JSONEncoder {
    /// The API's JSON: stable key order so answers are byte-for-byte reproducible.
    static var api: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
