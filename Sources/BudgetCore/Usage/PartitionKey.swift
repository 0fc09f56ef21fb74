/// The rule for tenant, environment, service and object names: `[a-z0-9][a-z0-9._-]{0,62}`.
///
/// These names are partition keys: stable, URL-safe and safe as SQL identifiers' suffixes.
public enum PartitionKey {
    /// The rule as users read it in error messages.
    public static let pattern = "[a-z0-9][a-z0-9._-]{0,62}"

    /// Whether `name` follows the rule.
    public static func isValid(_ name: some StringProtocol) -> Bool {
        let bytes = name.utf8
        guard let first = bytes.first, bytes.count <= 63, isLowerAlphanumeric(first) else { return false }
        for byte in bytes.dropFirst() where !(isLowerAlphanumeric(byte) || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-"))
        {
            return false
        }
        return true
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }
}
