extension Price: Codable {
    /// Decodes a JSON string in decimal form ("0.04").
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        switch FixedPointText.parse(text, scale: 12, range: Price.picosRange) {
        case .success(let picos): self.init(uncheckedPicos: Int64(picos))
        case .failure(let error):
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "price: \(error.description)")
        }
    }

    /// Encodes `decimalString` as a JSON string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(decimalString)
    }
}
