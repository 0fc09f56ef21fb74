import CSnappy

/// Snappy's block format (not the framing format), as Prometheus remote write uses it: the system's libsnappy.
public enum Snappy {
    /// Why a body could not be decompressed.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The bytes are not a snappy block.
        case invalid
        /// The block says it decompresses to more than the limit.
        case tooLarge(length: Int, limit: Int)

        public var description: String {
            switch self {
            case .invalid: "the body is not snappy block-format data"
            case .tooLarge(let length, let limit): "the body decompresses to \(length) bytes, over the limit of \(limit)"
            }
        }
    }

    /// The block's uncompressed bytes; refused before anything is allocated when it says it is over `limit`.
    public static func decompress(_ compressed: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        var length = 0
        let lengthStatus = compressed.withUnsafeBufferPointer { input in
            input.baseAddress.map { base in
                base.withMemoryRebound(to: CChar.self, capacity: input.count) { snappy_uncompressed_length($0, input.count, &length) }
            } ?? SNAPPY_INVALID_INPUT
        }
        guard lengthStatus == SNAPPY_OK else { throw .invalid }
        guard length <= limit else { throw .tooLarge(length: length, limit: limit) }
        guard length > 0 else {
            // An empty message is one byte: its length, zero.
            guard compressed == [0] else { throw .invalid }
            return []
        }
        var output = [UInt8](repeating: 0, count: length)
        var outputLength = length
        let status = compressed.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                input.baseAddress!.withMemoryRebound(to: CChar.self, capacity: input.count) { source in
                    out.baseAddress!.withMemoryRebound(to: CChar.self, capacity: out.count) { destination in
                        snappy_uncompress(source, input.count, destination, &outputLength)
                    }
                }
            }
        }
        guard status == SNAPPY_OK, outputLength == length else { throw .invalid }
        return output
    }

    /// The bytes as one snappy block (what a remote-write sender does; used by `import-prometheus` and the tests).
    public static func compress(_ bytes: [UInt8]) -> [UInt8] {
        var length = snappy_max_compressed_length(bytes.count)
        var output = [UInt8](repeating: 0, count: length)
        let status = bytes.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                out.baseAddress!.withMemoryRebound(to: CChar.self, capacity: out.count) { destination in
                    if let base = input.baseAddress {
                        base.withMemoryRebound(to: CChar.self, capacity: input.count) { snappy_compress($0, input.count, destination, &length) }
                    } else {
                        snappy_compress("", 0, destination, &length)
                    }
                }
            }
        }
        precondition(status == SNAPPY_OK, "snappy_compress cannot fail with a buffer of snappy_max_compressed_length")
        return Array(output.prefix(length))
    }
}
