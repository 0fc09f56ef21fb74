import BudgetCore
import NIOCore

/// A single-pass reader of ingest bodies for the plain case, which is nearly every request.
///
/// `JSONDecoder` builds a map of the whole document and then walks it through `Codable`'s keyed containers,
/// which took more than half of the service's CPU time on `POST /usage` (`perf record` of `bench --only
/// ingest`). This reader goes over the bytes once and builds each `RawUsageSample` directly.
///
/// It answers only for documents it reads exactly as `JSONDecoder` would and returns `nil` for anything
/// else — invalid JSON, escapes or non-ASCII in strings, duplicate fields, numbers beyond `Double`, deep
/// nesting — so the caller decodes those with `JSONDecoder`, whose results and error messages stay the
/// reference. Tests compare both on plain, unusual and broken documents.
struct UsageJSONReader {
    private let bytes: UnsafeRawBufferPointer
    private var index: Int
    private let end: Int

    private init(bytes: UnsafeRawBufferPointer, range: Range<Int>) {
        self.bytes = bytes
        self.index = range.lowerBound
        self.end = range.upperBound
    }

    /// The samples of a `{"samples": [...]}` document, or `nil` when `JSONDecoder` must read it.
    static func document(_ body: ByteBuffer) -> [RawUsageSample]? {
        body.withUnsafeReadableBytes { bytes in
            var reader = UsageJSONReader(bytes: bytes, range: 0..<bytes.count)
            return reader.readDocument()
        }
    }

    /// One sample object spanning `range` of `bytes` (an NDJSON line), or `nil` when `JSONDecoder` must read it.
    static func sample(_ bytes: UnsafeRawBufferPointer, range: Range<Int>) -> RawUsageSample? {
        var reader = UsageJSONReader(bytes: bytes, range: range)
        guard let sample = reader.readSample() else { return nil }
        reader.skipWhitespace()
        return reader.index == reader.end ? sample : nil
    }

    // MARK: - Structure

    private mutating func readDocument() -> [RawUsageSample]? {
        guard consume(.openBrace) else { return nil }
        var samples: [RawUsageSample]?
        guard !consume(.closeBrace) else { return nil }
        repeat {
            guard let key = readPlainString(), consume(.colon) else { return nil }
            if matches(key, Self.samplesKey) {
                guard samples == nil, let array = readSamples() else { return nil }
                samples = array
            } else {
                guard skipValue(depth: 1) else { return nil }
            }
        } while consume(.comma)
        guard consume(.closeBrace) else { return nil }
        skipWhitespace()
        guard index == end else { return nil }
        return samples
    }

    private mutating func readSamples() -> [RawUsageSample]? {
        guard consume(.openBracket) else { return nil }
        var samples: [RawUsageSample] = []
        if consume(.closeBracket) { return samples }
        samples.reserveCapacity(min((end - index) / 96 + 1, 100_000))
        repeat {
            guard let sample = readSample() else { return nil }
            samples.append(sample)
        } while consume(.comma)
        return consume(.closeBracket) ? samples : nil
    }

    private mutating func readSample() -> RawUsageSample? {
        guard consume(.openBrace) else { return nil }
        var sample = RawUsageSample(environment: .missing, service: .missing, resource: .missing, quantity: .missing, start: .missing, end: .missing)
        if consume(.closeBrace) { return sample }
        var seen: UInt8 = 0
        repeat {
            guard let key = readPlainString(), consume(.colon) else { return nil }
            guard let field = Self.field(bytes, key) else {
                guard skipValue(depth: 2) else { return nil }
                continue
            }
            // A repeated field: leave the choice of value to JSONDecoder.
            guard seen & (1 << field) == 0, let value = readValue() else { return nil }
            seen |= 1 << field
            switch field {
            case 0: sample.environment = value
            case 1: sample.service = value
            case 2: sample.resource = value
            case 3: sample.quantity = value
            case 4: sample.start = value
            default: sample.end = value
            }
        } while consume(.comma)
        return consume(.closeBrace) ? sample : nil
    }

    private mutating func readValue() -> RawUsageSample.Value? {
        skipWhitespace()
        guard index < end else { return nil }
        switch bytes[index] {
        case .quote:
            guard let range = readPlainString() else { return nil }
            return .string(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self))
        case .minus, .digit0 ... .digit9:
            guard let number = readNumber(), number.isFinite else { return nil }
            return .number(number)
        case UInt8(ascii: "n"):
            return consumeLiteral("null") ? .null : nil
        default:
            return skipValue(depth: 2) ? .other : nil
        }
    }

    // MARK: - Tokens

    /// The bytes between the quotes of a string without escapes, control characters or non-ASCII bytes.
    private mutating func readPlainString() -> Range<Int>? {
        skipWhitespace()
        guard index < end, bytes[index] == .quote else { return nil }
        let start = index + 1
        var cursor = start
        while cursor < end {
            let byte = bytes[cursor]
            if byte == .quote {
                index = cursor + 1
                return start..<cursor
            }
            guard byte >= 0x20, byte < 0x80, byte != .backslash else { return nil }
            cursor += 1
        }
        return nil
    }

    /// A number in JSON's grammar, converted exactly as `Double(String)` would.
    private mutating func readNumber() -> Double? {
        let start = index
        var negative = false
        if bytes[index] == .minus {
            negative = true
            index += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        guard index < end else { return nil }
        if bytes[index] == .digit0 {
            index += 1
        } else {
            guard readDigits(into: &mantissa, count: &digits) > 0 else { return nil }
        }
        if index < end, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let fraction = readDigits(into: &mantissa, count: &digits)
            guard fraction > 0 else { return nil }
            exponent -= fraction
        }
        if index < end, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            var exponentNegative = false
            if index < end, bytes[index] == .minus || bytes[index] == UInt8(ascii: "+") {
                exponentNegative = bytes[index] == .minus
                index += 1
            }
            var written = 0
            var count = 0
            while index < end, bytes[index] >= .digit0, bytes[index] <= .digit9 {
                if written < 10_000 { written = written * 10 + Int(bytes[index] - .digit0) }
                count += 1
                index += 1
            }
            guard count > 0 else { return nil }
            exponent += exponentNegative ? -written : written
        }
        // Clinger's fast path: a mantissa and a power of ten that are both exact doubles give a correctly rounded result.
        if digits <= 15, (-22...22).contains(exponent) {
            var value = Double(mantissa)
            value = exponent < 0 ? value / Self.powersOfTen[-exponent] : value * Self.powersOfTen[exponent]
            return negative ? -value : value
        }
        guard let value = Double(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)),
            value != 0 || mantissa == 0
        else { return nil }  // an underflow to zero: left to JSONDecoder
        return value
    }

    /// Reads decimal digits, accumulating up to 19 significant ones; returns how many digits were read.
    private mutating func readDigits(into mantissa: inout UInt64, count significant: inout Int) -> Int {
        var read = 0
        while index < end, bytes[index] >= .digit0, bytes[index] <= .digit9 {
            if significant > 0 || bytes[index] != .digit0 {
                significant += 1
                if significant <= 19 { mantissa = mantissa &* 10 &+ UInt64(bytes[index] - .digit0) }
            }
            read += 1
            index += 1
        }
        return read
    }

    /// Skips one JSON value, checking its syntax; `false` for anything invalid or nested deeper than 64.
    private mutating func skipValue(depth: Int) -> Bool {
        guard depth <= 64 else { return false }
        skipWhitespace()
        guard index < end else { return false }
        switch bytes[index] {
        case .quote:
            return readPlainString() != nil
        case .minus, .digit0 ... .digit9:
            return readNumber()?.isFinite ?? false
        case UInt8(ascii: "t"): return consumeLiteral("true")
        case UInt8(ascii: "f"): return consumeLiteral("false")
        case UInt8(ascii: "n"): return consumeLiteral("null")
        case .openBracket:
            index += 1
            if consume(.closeBracket) { return true }
            repeat {
                guard skipValue(depth: depth + 1) else { return false }
            } while consume(.comma)
            return consume(.closeBracket)
        case .openBrace:
            index += 1
            if consume(.closeBrace) { return true }
            repeat {
                guard readPlainString() != nil, consume(.colon), skipValue(depth: depth + 1) else { return false }
            } while consume(.comma)
            return consume(.closeBrace)
        default:
            return false
        }
    }

    private mutating func consumeLiteral(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard end - index >= count else { return false }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] {
            return false
        }
        index += count
        return true
    }

    private mutating func skipWhitespace() {
        while index < end {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard index < end, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    // MARK: - Keys

    private static let samplesKey: StaticString = "samples"
    private static let fieldKeys: [StaticString] = ["environment", "service", "resource", "quantity", "start", "end"]
    private static let powersOfTen: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    private func matches(_ range: Range<Int>, _ key: StaticString) -> Bool {
        Self.matches(bytes, range, key)
    }

    private static func matches(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ key: StaticString) -> Bool {
        guard range.count == key.utf8CodeUnitCount else { return false }
        for offset in 0..<range.count where bytes[range.lowerBound + offset] != key.utf8Start[offset] {
            return false
        }
        return true
    }

    /// The index of the sample field named by `range` (in `fieldKeys` order), or `nil` for another key.
    private static func field(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        fieldKeys.firstIndex { matches(bytes, range, $0) }
    }
}

extension UInt8 {
    fileprivate static let quote = UInt8(ascii: "\"")
    fileprivate static let backslash = UInt8(ascii: "\\")
    fileprivate static let minus = UInt8(ascii: "-")
    fileprivate static let digit0 = UInt8(ascii: "0")
    fileprivate static let digit9 = UInt8(ascii: "9")
    fileprivate static let colon = UInt8(ascii: ":")
    fileprivate static let comma = UInt8(ascii: ",")
    fileprivate static let openBrace = UInt8(ascii: "{")
    fileprivate static let closeBrace = UInt8(ascii: "}")
    fileprivate static let openBracket = UInt8(ascii: "[")
    fileprivate static let closeBracket = UInt8(ascii: "]")
}
