/// Splits a migration file into single statements, because PostgreSQL's extended protocol
/// (which PostgresNIO speaks) takes one statement per query.
///
/// It understands what can hide a `;`: quoted strings (`'…'`, `E'…'` with `''`), quoted
/// identifiers (`"…"`), dollar-quoted bodies (`$$…$$`, `$tag$…$tag$`), and comments
/// (`-- …` and nested `/* … */`).
public enum SQLStatements {
    public static func split(_ sql: String) -> [String] {
        let bytes = Array(sql.utf8)
        var statements: [String] = []
        var start = 0
        var index = 0
        var meaningful = false

        func flush(upTo end: Int) {
            if meaningful {
                let text = String(decoding: bytes[start..<end], as: UTF8.self).trimmingWhitespace()
                if !text.isEmpty { statements.append(text) }
            }
            start = end + 1
            meaningful = false
        }

        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "-") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "-"):
                while index < bytes.count && bytes[index] != UInt8(ascii: "\n") { index += 1 }
                continue
            case UInt8(ascii: "/") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "*"):
                var depth = 0
                while index < bytes.count {
                    if bytes[index] == UInt8(ascii: "/"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "*") {
                        depth += 1
                        index += 2
                    } else if bytes[index] == UInt8(ascii: "*"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "/") {
                        depth -= 1
                        index += 2
                        if depth == 0 { break }
                    } else {
                        index += 1
                    }
                }
                continue
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                meaningful = true
                index += 1
                while index < bytes.count {
                    if bytes[index] == byte {
                        if index + 1 < bytes.count && bytes[index + 1] == byte {
                            index += 2
                            continue
                        }
                        break
                    }
                    // E'…' strings allow backslash escapes.
                    if byte == UInt8(ascii: "'") && bytes[index] == UInt8(ascii: "\\") { index += 1 }
                    index += 1
                }
            case UInt8(ascii: "$"):
                meaningful = true
                if let tagEnd = dollarTagEnd(bytes, from: index) {
                    let tag = bytes[index...tagEnd]
                    var search = tagEnd + 1
                    var closed = false
                    while search + tag.count <= bytes.count {
                        if bytes[search] == UInt8(ascii: "$") && bytes[search..<(search + tag.count)].elementsEqual(tag) {
                            index = search + tag.count - 1
                            closed = true
                            break
                        }
                        search += 1
                    }
                    if !closed { index = bytes.count }
                }
            case UInt8(ascii: ";"):
                flush(upTo: index)
            default:
                if !(byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")) {
                    meaningful = true
                }
            }
            index += 1
        }
        flush(upTo: bytes.count)
        return statements
    }

    /// The index of the closing `$` of a dollar-quote tag starting at `start`, if it is one.
    private static func dollarTagEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start + 1
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "$") { return index }
            let isTagCharacter = (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || byte == UInt8(ascii: "_") || (index > start + 1 && byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            guard isTagCharacter else { return nil }
            index += 1
        }
        return nil
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
