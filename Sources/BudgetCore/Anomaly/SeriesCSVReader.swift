/// Reads a cost series from CSV for the backtest: a `timestamp,value` header (either order), then one
/// RFC 3339 timestamp and one number per line, timestamps strictly increasing.
public struct SeriesCSVReader: Sendable {
    /// What is wrong with a line, for people.
    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        /// The 1-based line number.
        public var line: Int
        public var message: String

        public var description: String { "line \(line): \(message)" }
    }

    private let timestampColumn: Int
    private var previous: (line: Int, timestamp: Timestamp)?

    /// Checks the header (line 1).
    public init(header: some StringProtocol) throws(Problem) {
        let names = Self.fields(header).map { $0.lowercased() }
        guard names.count == 2, Set(names) == ["timestamp", "value"] else {
            throw Problem(line: 1, message: "expected the header timestamp,value, got \(String(header).prefix(80))")
        }
        timestampColumn = names[0] == "timestamp" ? 0 : 1
    }

    /// The point on line `number`, nil for a blank line, or why the line is wrong.
    public mutating func point(_ line: some StringProtocol, number: Int) -> Result<(timestamp: Timestamp, value: Double)?, Problem> {
        let fields = Self.fields(line)
        if fields.count == 1, fields[0].isEmpty { return .success(nil) }
        guard fields.count == 2 else {
            return .failure(Problem(line: number, message: "expected 2 fields (timestamp,value), got \(fields.count)"))
        }
        let timestampText = fields[timestampColumn], valueText = fields[1 - timestampColumn]
        let timestamp: Timestamp
        do {
            timestamp = try Timestamp.parse(rfc3339: timestampText)
        } catch {
            return .failure(Problem(line: number, message: "timestamp \"\(timestampText.prefix(40))\": \(error.description)"))
        }
        guard !valueText.isEmpty, valueText.allSatisfy({ "0123456789.-+eE".contains($0) }),
              let value = Double(valueText), value.isFinite
        else {
            return .failure(Problem(line: number, message: "value \"\(valueText.prefix(40))\" is not a decimal number"))
        }
        if let previous, timestamp <= previous.timestamp {
            return .failure(Problem(line: number, message: "timestamp \(timestamp) is not after \(previous.timestamp) on line \(previous.line)"))
        }
        previous = (number, timestamp)
        return .success((timestamp, value))
    }

    /// The comma-separated fields of `line`, trimmed of spaces, a carriage return and surrounding quotes.
    private static func fields(_ line: some StringProtocol) -> [String] {
        line.split(separator: ",", omittingEmptySubsequences: false).map { field in
            var text = Substring(field)
            while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
            while let last = text.last, last == " " || last == "\t" || last == "\r" { text = text.dropLast() }
            if text.count >= 2, text.first == "\"", text.last == "\"" { text = text.dropFirst().dropLast() }
            return String(text)
        }
    }
}
