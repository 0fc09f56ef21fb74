extension Timestamp: Codable {
    /// Decodes an RFC 3339 string (any accepted offset; stored as the UTC instant).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        switch Timestamp.parseResult(rfc3339: text) {
        case .success(let value): self = value
        case .failure(let error):
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    /// Encodes `rfc3339`; throws for instants outside `Timestamp.rfc3339Range`.
    public func encode(to encoder: any Encoder) throws {
        guard Timestamp.rfc3339Range.contains(self) else {
            throw EncodingError.invalidValue(self, EncodingError.Context(
                codingPath: encoder.codingPath,
                debugDescription: "timestamp \(rfc3339) is outside the RFC 3339 years 0001-9999"
            ))
        }
        var container = encoder.singleValueContainer()
        try container.encode(rfc3339)
    }
}
