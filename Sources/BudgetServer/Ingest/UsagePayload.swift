import BudgetCore
import Foundation
import HTTPTypes
import NIOCore

/// Reads an ingest body (`{"samples": [...]}` or NDJSON) into validated samples, or the first error.
struct UsagePayload {
    enum Format {
        case json
        case ndjson
    }

    var samples: [UsageSample]

    static func format(of contentType: String?) throws -> Format {
        let mediaType = (contentType ?? "").split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        } ?? ""
        switch mediaType {
        case "application/json": return .json
        case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/jsonlines": return .ndjson
        default:
            throw APIError(
                .unsupportedMediaType,
                code: "unsupported_media_type",
                message: "send usage as application/json ({\"samples\": [...]}) or application/x-ndjson (one sample per line)"
                    + (mediaType.isEmpty ? "; the request has no Content-Type" : "; got \(mediaType.prefix(100))"),
                field: "Content-Type"
            )
        }
    }

    init(body: ByteBuffer, format: Format, maximumSamples: Int) throws {
        let raw: [RawUsageSample]
        let lineNumbers: [Int]?
        switch format {
        case .json:
            raw = try Self.decodeDocument(body)
            lineNumbers = nil
        case .ndjson:
            (raw, lineNumbers) = try Self.decodeLines(body, maximumSamples: maximumSamples)
        }
        guard raw.count <= maximumSamples else { throw Self.tooMany(raw.count, maximumSamples) }
        guard !raw.isEmpty else {
            throw APIError(.badRequest, code: "no_samples", message: "the request holds no samples", field: "samples")
        }
        var samples: [UsageSample] = []
        samples.reserveCapacity(raw.count)
        for (index, item) in raw.enumerated() {
            switch UsageValidation.validate(item, path: "samples[\(index)]") {
            case .success(let sample):
                samples.append(sample)
            case .failure(var error):
                if let lineNumbers { error.message = "line \(lineNumbers[index]): " + error.message }
                // An interval whose end is not after its start (or too long) is well-formed but contradictory: 422.
                throw APIError(error.code == "invalid_interval" ? .unprocessableContent : .badRequest, error)
            }
        }
        self.samples = samples
    }

    static func tooMany(_ count: Int, _ maximum: Int) -> APIError {
        APIError(
            .contentTooLarge,
            code: "too_many_samples",
            message: "at most \(maximum) samples per request (got \(count)); split the batch",
            field: "samples"
        )
    }

    private struct Document: Decodable {
        var samples: [RawUsageSample]?
    }

    private static func decodeDocument(_ body: ByteBuffer) throws -> [RawUsageSample] {
        if let samples = UsageJSONReader.document(body) { return samples }
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: Data(buffer: body, byteTransferStrategy: .noCopy))
        } catch let error as DecodingError {
            throw describe(error, prefix: "")
        }
        guard let samples = document.samples else {
            throw APIError(.badRequest, code: "missing_field", message: "the body must be {\"samples\": [...]}", field: "samples")
        }
        return samples
    }

    private static func decodeLines(_ body: ByteBuffer, maximumSamples: Int) throws -> ([RawUsageSample], [Int]) {
        try body.withUnsafeReadableBytes { bytes in
            var samples: [RawUsageSample] = []
            var lineNumbers: [Int] = []
            let decoder = JSONDecoder()
            var lineNumber = 0
            var lineStart = 0
            while lineStart <= bytes.count {
                let lineEnd = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
                lineNumber += 1
                var line = lineStart..<lineEnd
                if !line.isEmpty, bytes[line.upperBound - 1] == UInt8(ascii: "\r") { line = line.lowerBound..<(line.upperBound - 1) }
                if bytes[line].contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) {
                    guard samples.count < maximumSamples else { throw tooMany(samples.count + 1, maximumSamples) }
                    if let sample = UsageJSONReader.sample(bytes, range: line) {
                        samples.append(sample)
                    } else {
                        do {
                            samples.append(try decoder.decode(RawUsageSample.self, from: Data(bytes[line])))
                        } catch let error as DecodingError {
                            var apiError = describe(error, prefix: "samples[\(samples.count)]")
                            apiError.message = "line \(lineNumber): " + apiError.message
                            throw apiError
                        }
                    }
                    lineNumbers.append(lineNumber)
                }
                lineStart = lineEnd + 1
            }
            return (samples, lineNumbers)
        }
    }

    static func describe(_ error: DecodingError, prefix: String) -> APIError {
        var apiError = JSONBody.describe(error, prefix: prefix)
        if apiError.code == "invalid_type" {
            switch apiError.field?.filter({ $0 == "[" || $0 == "." }).count ?? 0 {
            case 0: apiError.message = "\(apiError.field ?? "the body") has the wrong type: expected {\"samples\": [...]}"
            default: apiError.message = "\(apiError.field ?? "the sample") has the wrong type: expected an object with environment, service, resource, quantity, start and end"
            }
        }
        return apiError
    }
}
