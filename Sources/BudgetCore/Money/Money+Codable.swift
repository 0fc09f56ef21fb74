extension Money: Codable {
    /// Decodes a JSON string in decimal form ("12.40"); numbers are rejected, being inexact in JSON tooling.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        switch FixedPointText.parse(text, scale: 9, range: Money.nanosRange) {
        case .success(let nanos): self.init(nanos: Int64(nanos))
        case .failure(let error):
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "amount: \(error.description)")
        }
    }

    /// Encodes `decimalString` as a JSON string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(decimalString)
    }
}
