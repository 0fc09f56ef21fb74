/// Splits one CSV record (RFC 4180): commas separate fields, double quotes enclose fields that contain
/// commas or quotes, and `""` inside quotes is a quote. Unquoted fields are kept as written.
public enum CSVLine {
    /// A field and whether it was quoted (FOCUS exports write SQL-style `NULL` unquoted).
    public struct Field: Sendable, Equatable {
        public var text: String
        public var quoted: Bool
    }

    public static func split(_ line: some StringProtocol) -> [Field] {
        var fields: [Field] = []
        var current: [UInt8] = []
        var quoted = false
        var inQuotes = false
        var bytes = Array(line.utf8)
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if inQuotes {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\"") {
                        current.append(byte)
                        index += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    current.append(byte)
                }
            } else if byte == UInt8(ascii: ",") {
                fields.append(Field(text: String(decoding: current, as: UTF8.self), quoted: quoted))
                current.removeAll(keepingCapacity: true)
                quoted = false
            } else if byte == UInt8(ascii: "\"") && current.isEmpty && !quoted {
                inQuotes = true
                quoted = true
            } else {
                current.append(byte)
            }
            index += 1
        }
        fields.append(Field(text: String(decoding: current, as: UTF8.self), quoted: quoted))
        return fields
    }
}
