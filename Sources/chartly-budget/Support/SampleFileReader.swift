import BudgetCore
import Foundation

/// Reads usage samples from an NDJSON file or a CSV file with a header line, one line at a time.
struct SampleFileReader {
    enum Format: String {
        case ndjson
        case csv
    }

    /// One line of the file: a sample, or why it cannot be one.
    struct Line {
        var number: Int
        var result: Result<UsageSample, FieldError>
    }

    let format: Format
    private var csvColumns: [String: Int] = [:]
    private let decoder = JSONDecoder()

    init(path: String) {
        format = path.lowercased().hasSuffix(".csv") ? .csv : .ndjson
    }

    /// Parses one line (`number` is 1-based); nil for blank lines and the CSV header.
    mutating func parse(_ text: Substring, number: Int) -> Line? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return nil }
        let path = "line \(number)"
        switch format {
        case .ndjson:
            do {
                let raw = try decoder.decode(RawUsageSample.self, from: Data(trimmed.utf8))
                return Line(number: number, result: UsageValidation.validate(raw, path: path))
            } catch {
                return Line(number: number, result: .failure(FieldError(code: "malformed_json", message: "not a JSON object", field: path)))
            }
        case .csv:
            let cells = Self.splitCSV(trimmed)
            if csvColumns.isEmpty {
                for (index, name) in cells.enumerated() { csvColumns[name.lowercased()] = index }
                return nil
            }
            func cell(_ name: String) -> RawUsageSample.Value {
                guard let index = csvColumns[name], index < cells.count else { return .missing }
                let value = cells[index]
                if value.isEmpty { return .missing }
                if name == "quantity" { return Double(value).map { .number($0) } ?? .string(value) }
                return .string(value)
            }
            let raw = RawUsageSample(
                environment: cell("environment"), service: cell("service"), resource: cell("resource"),
                quantity: cell("quantity"), start: cell("start"), end: cell("end")
            )
            return Line(number: number, result: UsageValidation.validate(raw, path: path))
        }
    }

    /// Splits one CSV line, honouring double quotes ("" inside quotes is a quote).
    static func splitCSV(_ line: String) -> [String] {
        var cells: [String] = []
        var current = ""
        var quoted = false
        var iterator = line.makeIterator()
        while let character = iterator.next() {
            switch character {
            case "\"" where quoted:
                quoted = false
            case "\"" where current.isEmpty:
                quoted = true
            case "," where !quoted:
                cells.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            default:
                current.append(character)
            }
        }
        cells.append(current.trimmingCharacters(in: .whitespaces))
        return cells
    }
}
