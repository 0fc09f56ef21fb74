/// Reads a series from CSV for the backtest: a `timestamp,value` header (either order), then one timestamp and
/// one number per line. Rows may come in any order and repeat a timestamp (`SeriesMerge` sorts them out).
/// A timestamp is RFC 3339 (`T` or a space between date and time); one without an offset is read as UTC.
public struct SeriesCSVReader: Sendable {
    /// What is wrong with a line, for people.
    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        /// The 1-based line number.
        public var line: Int
        public var message: String

        public var description: String { "line \(line): \(message)" }
    }

    /// One row read: its line number, timestamp and value, and whether its timestamp had no offset.
    public struct Row: Sendable, Hashable {
        public var line: Int
        public var timestamp: Timestamp
        public var value: Double
        public var withoutOffset: Bool
    }

    private let timestampColumn: Int

    /// Checks the header (line 1).
    public init(header: some StringProtocol) throws(Problem) {
        let names = Self.fields(header).map { $0.lowercased() }
        guard names.count == 2, Set(names) == ["timestamp", "value"] else {
            throw Problem(line: 1, message: "expected the header timestamp,value, got \(String(header).prefix(80))")
        }
        timestampColumn = names[0] == "timestamp" ? 0 : 1
    }

    /// The row on line `number`, nil for a blank line, or why the line cannot be read.
    public func row(_ line: some StringProtocol, number: Int) -> Result<Row?, Problem> {
        let fields = Self.fields(line)
        if fields.count == 1, fields[0].isEmpty { return .success(nil) }
        guard fields.count == 2 else {
            return .failure(Problem(line: number, message: "expected 2 fields (timestamp,value), got \(fields.count)"))
        }
        let timestampText = fields[timestampColumn], valueText = fields[1 - timestampColumn]
        let withoutOffset = Self.lacksOffset(timestampText)
        let timestamp: Timestamp
        do {
            timestamp = try Timestamp.parse(rfc3339: withoutOffset ? timestampText + "Z" : timestampText)
        } catch {
            return .failure(Problem(line: number, message: "timestamp \"\(timestampText.prefix(40))\": \(error.description)"))
        }
        guard !valueText.isEmpty, valueText.allSatisfy({ "0123456789.-+eE".contains($0) }),
              let value = Double(valueText), value.isFinite
        else {
            return .failure(Problem(line: number, message: "value \"\(valueText.prefix(40))\" is not a decimal number"))
        }
        return .success(Row(line: number, timestamp: timestamp, value: value, withoutOffset: withoutOffset))
    }

    /// Whether a date-time (`YYYY-MM-DD?HH:MM:SS[.fraction]`) ends without `Z` or `±HH:MM`.
    static func lacksOffset(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19 else { return false }
        if let last = bytes.last, last == UInt8(ascii: "Z") || last == UInt8(ascii: "z") { return false }
        return !bytes[19...].contains { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }
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

extension SeriesCSVReader {
    /// The lines of a CSV text that cannot be read.
    public struct Problems: Error, Sendable, Hashable {
        public var problems: [Problem]
    }

    /// Every row of a whole CSV text (header first), or every line that cannot be read.
    public static func rows(of text: String) -> Result<[Row], Problems> {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)[...]
        guard let header = lines.popFirst() else { return .failure(Problems(problems: [Problem(line: 1, message: "empty file")])) }
        let reader: SeriesCSVReader
        do {
            reader = try SeriesCSVReader(header: header)
        } catch {
            return .failure(Problems(problems: [error]))
        }
        var rows: [Row] = [], problems: [Problem] = []
        for (offset, line) in lines.enumerated() {
            switch reader.row(line, number: offset + 2) {
            case .success(let row?): rows.append(row)
            case .success(nil): continue
            case .failure(let problem): problems.append(problem)
            }
        }
        return problems.isEmpty ? .success(rows) : .failure(Problems(problems: problems))
    }
}
