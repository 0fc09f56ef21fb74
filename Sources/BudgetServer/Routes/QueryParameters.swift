import BudgetCore
import Hummingbird

/// Typed reading of query parameters, each failure a 400 naming the parameter.
enum QueryParameters {
    static func timestamp(_ parameters: Parameters, _ name: String) throws -> Timestamp? {
        guard let text = parameters.get(name) else { return nil }
        guard let timestamp = Timestamp(rfc3339: text) else {
            throw APIError(.badRequest, code: "invalid_timestamp", message: "\(name) must be an RFC 3339 timestamp, e.g. 2026-11-01T00:00:00Z", field: name)
        }
        return timestamp
    }

    static func integer(_ parameters: Parameters, _ name: String, range: ClosedRange<Int64>) throws -> Int64? {
        guard let text = parameters.get(name) else { return nil }
        guard let value = Int64(text), range.contains(value) else {
            throw APIError(.badRequest, code: "invalid_value", message: "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound)", field: name)
        }
        return value
    }

    static func name(_ parameters: Parameters, _ name: String, allowSystem: Bool = false) throws -> String? {
        guard let text = parameters.get(name) else { return nil }
        if allowSystem, text == "_system" { return text }
        guard PartitionKey.isValid(text) else { throw APIError.invalidName(name) }
        return text
    }
}
