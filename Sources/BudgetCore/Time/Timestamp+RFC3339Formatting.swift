extension Timestamp: CustomStringConvertible {
    /// RFC 3339 in UTC, e.g. `2024-02-29T12:34:56Z` or `2024-02-29T12:34:56.250000Z`.
    ///
    /// The fraction is omitted at whole seconds and otherwise has exactly 6 digits. Years outside
    /// 0000–9999 use ISO 8601's expanded form (`+10000-01-01T…`), which is not RFC 3339.
    public var rfc3339: String {
        let civil = self.civil
        let year = civil.date.year
        guard (0...9999).contains(year) else { return expandedYearText(civil) }
        let length = civil.microsecond == 0 ? 20 : 27
        return String(unsafeUninitializedCapacity: length) { buffer in
            Timestamp.write(year, digits: 4, into: buffer, at: 0)
            buffer[4] = UInt8(ascii: "-")
            Timestamp.write(civil.date.month, digits: 2, into: buffer, at: 5)
            buffer[7] = UInt8(ascii: "-")
            Timestamp.write(civil.date.day, digits: 2, into: buffer, at: 8)
            buffer[10] = UInt8(ascii: "T")
            Timestamp.write(civil.hour, digits: 2, into: buffer, at: 11)
            buffer[13] = UInt8(ascii: ":")
            Timestamp.write(civil.minute, digits: 2, into: buffer, at: 14)
            buffer[16] = UInt8(ascii: ":")
            Timestamp.write(civil.second, digits: 2, into: buffer, at: 17)
            if civil.microsecond != 0 {
                buffer[19] = UInt8(ascii: ".")
                Timestamp.write(civil.microsecond, digits: 6, into: buffer, at: 20)
            }
            buffer[length - 1] = UInt8(ascii: "Z")
            return length
        }
    }

    /// The RFC 3339 text (`rfc3339`).
    public var description: String { rfc3339 }

    private func expandedYearText(_ civil: CivilDateTime) -> String {
        let inRange = Timestamp(civil: CivilDateTime(
            uncheckedDate: CivilDate(uncheckedYear: 2000, month: civil.date.month, day: civil.date.day),
            hour: civil.hour, minute: civil.minute, second: civil.second, microsecond: civil.microsecond
        )).rfc3339
        return CivilDate.paddedYear(civil.date.year) + inRange.dropFirst(4)
    }

    private static func write(_ value: Int, digits: Int, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int) {
        var rest = value
        for index in stride(from: start + digits - 1, through: start, by: -1) {
            buffer[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        }
    }
}
