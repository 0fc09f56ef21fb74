import Foundation
import Hummingbird
import NIOCore

/// Reads a JSON request body into `T`, turning every decoding failure into a 400 naming the field.
struct JSONBody {
    static let maximumBytes = 1 << 20

    static func decode<T: Decodable>(_ type: T.Type, from request: Request, maximumBytes: Int = maximumBytes) async throws -> T {
        try decode(type, from: try await collect(request, maximumBytes: maximumBytes))
    }

    /// As `decode(_:from:maximumBytes:)`, refusing any `\u0000` in the text first: for bodies stored as JSON as
    /// they came (PostgreSQL's jsonb cannot hold U+0000).
    static func decodeStorable<T: Decodable>(_ type: T.Type, from request: Request, maximumBytes: Int = maximumBytes) async throws -> T {
        let body = try await collect(request, maximumBytes: maximumBytes)
        if containsEscapedNUL(body.readableBytesView) {
            throw APIError(.badRequest, code: "invalid_value", message: "strings must not contain U+0000 (\\u0000): PostgreSQL cannot store it")
        }
        return try decode(type, from: body)
    }

    /// The body of a JSON request, or 415 when it is not declared as JSON.
    private static func collect(_ request: Request, maximumBytes: Int) async throws -> ByteBuffer {
        let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "application/json" else {
            throw APIError(
                .unsupportedMediaType, code: "unsupported_media_type",
                message: "send a JSON body with Content-Type: application/json", field: "Content-Type"
            )
        }
        return try await request.body.collect(upTo: maximumBytes)
    }

    static func decode<T: Decodable>(_ type: T.Type, from body: ByteBuffer) throws -> T {
        do {
            let decoder = JSONDecoder()
            return try decoder.decode(T.self, from: Data(buffer: body, byteTransferStrategy: .noCopy))
        } catch let error as DecodingError {
            throw describe(error)
        } catch let error as APIError {
            throw error
        } catch let error as FieldErrorConvertible {
            throw error.apiError
        }
    }

    /// Whether the JSON text holds the escape `\u0000` (a raw NUL byte is not valid JSON and fails decoding anyway).
    /// A backslash preceded by an odd number of backslashes is itself escaped and starts nothing.
    static func containsEscapedNUL(_ bytes: ByteBufferView) -> Bool {
        var backslashes = 0
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") {
                backslashes += 1
            } else {
                if byte == UInt8(ascii: "u"), backslashes % 2 == 1, bytes.distance(from: index, to: bytes.endIndex) >= 5 {
                    let digits = bytes[bytes.index(after: index)..<bytes.index(index, offsetBy: 5)]
                    if digits.allSatisfy({ $0 == UInt8(ascii: "0") }) { return true }
                }
                backslashes = 0
            }
            index = bytes.index(after: index)
        }
        return false
    }

    /// Names where in the document decoding failed, as a field path like `samples[2].quantity`.
    static func describe(_ error: DecodingError, prefix: String = "") -> APIError {
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            let detail = (context.underlyingError.map { "\($0)" }).flatMap { $0.isEmpty ? nil : $0 } ?? context.debugDescription
            return APIError(
                .badRequest, code: "malformed_json", message: "the body is not valid JSON: \(detail.prefix(200))",
                field: prefix.isEmpty ? nil : prefix
            )
        case .keyNotFound(let key, let context):
            let path = fieldPath(prefix: prefix, context.codingPath + [key])
            return APIError(.badRequest, code: "missing_field", message: "\(path) is required", field: path)
        case .valueNotFound(_, let context):
            let path = fieldPath(prefix: prefix, context.codingPath)
            return APIError(.badRequest, code: "missing_field", message: "\(path) must not be null", field: path)
        case .typeMismatch(let type, let context):
            let path = fieldPath(prefix: prefix, context.codingPath)
            return APIError(
                .badRequest, code: "invalid_type",
                message: "\(path.isEmpty ? "the body" : path) has the wrong type: expected \(typeName(type))", field: path.isEmpty ? nil : path
            )
        case .dataCorrupted(let context):
            let path = fieldPath(prefix: prefix, context.codingPath)
            return APIError(.badRequest, code: "invalid_value", message: "\(path): \(context.debugDescription.prefix(200))", field: path)
        @unknown default:
            return APIError(.badRequest, code: "malformed_json", message: "the body is not valid JSON")
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Double.Type, is Int.Type, is Int64.Type: "a number"
        case is Bool.Type: "a boolean"
        default:
            "\(type)".hasPrefix("Array") ? "an array" : (("\(type)".hasPrefix("Dictionary") || "\(type)".contains("Keyed")) ? "an object" : "\(type)")
        }
    }

    static func fieldPath(prefix: String, _ codingPath: [any CodingKey]) -> String {
        var path = prefix
        for key in codingPath {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return path
    }
}

/// Errors thrown inside `init(from:)` that already know their field.
protocol FieldErrorConvertible: Error {
    var apiError: APIError { get }
}
