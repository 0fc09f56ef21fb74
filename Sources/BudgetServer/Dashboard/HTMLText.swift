/// Escaping for text that Swift code writes into HTML or SVG directly (Mustache escapes `{{ }}` itself).
public enum HTMLText {
    /// `text` safe inside element content and inside single- or double-quoted attributes.
    public static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            // Control characters are not allowed in XML text; inline SVG must stay well-formed.
            case "\u{0}"..."\u{8}", "\u{B}", "\u{C}", "\u{E}"..."\u{1F}", "\u{7F}": escaped += "\u{FFFD}"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    /// `part` percent-encoded as one URL path segment: everything but RFC 3986 unreserved characters.
    static func pathSegment(_ part: String) -> String {
        var encoded = ""
        for byte in part.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                encoded.unicodeScalars.append("%")
                encoded.unicodeScalars.append(hex[Int(byte >> 4)])
                encoded.unicodeScalars.append(hex[Int(byte & 0xF)])
            }
        }
        // "." and ".." are path navigation, not names.
        if encoded == "." || encoded == ".." { return String(repeating: "%2E", count: encoded.count) }
        return encoded
    }

    /// The dashboard page of one environment.
    static func tenantPath(_ tenant: String) -> String {
        "/tenants/\(pathSegment(tenant))"
    }

    static func environmentPath(tenant: String, environment: String) -> String {
        "/tenants/\(pathSegment(tenant))/environments/\(pathSegment(environment))"
    }
}
