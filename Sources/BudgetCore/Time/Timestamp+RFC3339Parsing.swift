extension Timestamp {
    /// Parses an RFC 3339 date-time (see `parse(rfc3339:)`), or nil when it is not one.
    @inlinable
    public init?(rfc3339 text: some StringProtocol) {
        guard case .success(let value) = Timestamp.parseResult(rfc3339: text) else { return nil }
        self = value
    }

    /// Parses `YYYY-MM-DD(T|t| )HH:MM:SS[.fraction](Z|z|±HH:MM)`, or throws why it is not one.
    ///
    /// Years 0001–9999; day checked against the month and leap years; second 60 (a leap second)
    /// is rejected. The fraction has 1–9 digits and is rounded half to even to the microsecond.
    @inlinable
    public static func parse(rfc3339 text: some StringProtocol) throws(RFC3339Error) -> Timestamp {
        try parseResult(rfc3339: text).get()
    }

    @inlinable
    static func parseResult(rfc3339 text: some StringProtocol) -> Result<Timestamp, RFC3339Error> {
        if let result = text.utf8.withContiguousStorageIfAvailable(RFC3339Parser.parse) {
            return result
        }
        return Array(text.utf8).withUnsafeBufferPointer(RFC3339Parser.parse)
    }
}

/// The byte-level RFC 3339 parser: one pass over UTF-8 bytes, no allocation, no Foundation.
@usableFromInline
enum RFC3339Parser {
    @usableFromInline
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<Timestamp, RFC3339Error> {
        let count = bytes.count
        // The fixed part: "YYYY-MM-DD?HH:MM:SS", 19 bytes.
        for index in 0..<19 {
            guard index < count else { return .failure(.invalidSyntax(offset: count)) }
            let byte = bytes[index]
            let matches: Bool
            switch index {
            case 4, 7: matches = byte == UInt8(ascii: "-")
            case 10: matches = byte == UInt8(ascii: "T") || byte == UInt8(ascii: "t") || byte == UInt8(ascii: " ")
            case 13, 16: matches = byte == UInt8(ascii: ":")
            default: matches = isDigit(byte)
            }
            guard matches else { return .failure(.invalidSyntax(offset: index)) }
        }
        let year = number(bytes, 0, 4)
        let month = number(bytes, 5, 2)
        let day = number(bytes, 8, 2)
        let hour = number(bytes, 11, 2)
        let minute = number(bytes, 14, 2)
        let second = number(bytes, 17, 2)

        var index = 19
        var fractionNanos: Int64 = 0
        if index < count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < count, isDigit(bytes[index]) {
                if index - start < 9 { fractionNanos = fractionNanos * 10 + Int64(bytes[index] &- UInt8(ascii: "0")) }
                index += 1
            }
            let digits = index - start
            if digits == 0 { return .failure(.invalidSyntax(offset: index)) }
            if digits > 9 { return .failure(.fractionTooLong) }
            for _ in digits..<9 { fractionNanos *= 10 }
        }

        guard index < count else { return .failure(.missingOffset) }
        var offsetSeconds: Int64 = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign: Int64 = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            for position in 1...5 {
                let at = index + position
                guard at < count else { return .failure(.invalidSyntax(offset: count)) }
                let matches = position == 3 ? bytes[at] == UInt8(ascii: ":") : isDigit(bytes[at])
                guard matches else { return .failure(.invalidSyntax(offset: at)) }
            }
            let offsetHours = number(bytes, index + 1, 2)
            let offsetMinutes = number(bytes, index + 4, 2)
            guard offsetHours <= 23, offsetMinutes <= 59 else { return .failure(.offsetOutOfRange) }
            offsetSeconds = sign * Int64(offsetHours * 3600 + offsetMinutes * 60)
            index += 6
        default:
            return .failure(.invalidSyntax(offset: index))
        }
        guard index == count else { return .failure(.invalidSyntax(offset: index)) }

        guard year >= 1 else { return .failure(.yearOutOfRange(year)) }
        guard (1...12).contains(month) else { return .failure(.monthOutOfRange(month)) }
        guard day >= 1, day <= CivilDate.daysInMonth(year: year, month: month) else {
            return .failure(.dayOutOfRange(year: year, month: month, day: day))
        }
        guard hour <= 23 else { return .failure(.hourOutOfRange(hour)) }
        guard minute <= 59 else { return .failure(.minuteOutOfRange(minute)) }
        guard second != 60 else { return .failure(.leapSecond) }
        guard second <= 59 else { return .failure(.secondOutOfRange(second)) }

        let days = CivilDate.daysSinceEpoch(year: Int64(year), month: Int64(month), day: Int64(day))
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - offsetSeconds
        return .success(Timestamp(
            microsecondsSinceEpoch: seconds * Timestamp.microsecondsPerSecond + microsecondsRoundedHalfEven(fractionNanos)
        ))
    }

    /// Nanoseconds to microseconds, ties to even: .0000005 → 0, .0000015 → 2 (may give 1_000_000).
    @inline(__always)
    static func microsecondsRoundedHalfEven(_ nanos: Int64) -> Int64 {
        let micros = nanos / 1000
        let rest = nanos % 1000
        return rest > 500 || (rest == 500 && micros & 1 == 1) ? micros + 1 : micros
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    /// The value of `length` ASCII digits at `start`, already checked to be digits.
    @inline(__always)
    static func number(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ length: Int) -> Int {
        var value = 0
        for index in start..<(start + length) { value = value * 10 + Int(bytes[index] &- UInt8(ascii: "0")) }
        return value
    }
}
