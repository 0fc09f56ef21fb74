/// Why a text is not an RFC 3339 date-time this service accepts.
public enum RFC3339Error: Error, Sendable, Hashable, CustomStringConvertible {
    /// The text does not follow `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; `offset` is the first bad byte.
    case invalidSyntax(offset: Int)
    /// The text ends after the time without `Z` or a `±HH:MM` offset.
    case missingOffset
    /// More than 9 fractional-second digits.
    case fractionTooLong
    /// The year is 0000 (years 0001–9999 are accepted).
    case yearOutOfRange(Int)
    /// The month is not 01–12.
    case monthOutOfRange(Int)
    /// The day does not exist in that month (leap years included).
    case dayOutOfRange(year: Int, month: Int, day: Int)
    /// The hour is not 00–23.
    case hourOutOfRange(Int)
    /// The minute is not 00–59.
    case minuteOutOfRange(Int)
    /// The second is above 60.
    case secondOutOfRange(Int)
    /// The second is 60: leap seconds are rejected, not folded (send smeared or Unix time).
    case leapSecond
    /// The offset's hours are above 23 or its minutes above 59.
    case offsetOutOfRange

    /// A message for an API error response.
    public var description: String {
        switch self {
        case .invalidSyntax(let offset):
            return "not an RFC 3339 date-time (expected YYYY-MM-DDTHH:MM:SS[.fraction] and Z or ±HH:MM); unexpected input at byte \(offset)"
        case .missingOffset:
            return "RFC 3339 date-time has no time zone offset; add Z for UTC or ±HH:MM"
        case .fractionTooLong:
            return "RFC 3339 fractional seconds have more than 9 digits"
        case .yearOutOfRange(let year):
            return "year \(year) is outside 0001-9999"
        case .monthOutOfRange(let month):
            return "month \(month) is outside 01-12"
        case .dayOutOfRange(let year, let month, let day):
            return "day \(day) does not exist in \(CivilDate.paddedYear(year))-\(CivilDate.twoDigits(month))"
        case .hourOutOfRange(let hour):
            return "hour \(hour) is outside 00-23"
        case .minuteOutOfRange(let minute):
            return "minute \(minute) is outside 00-59"
        case .secondOutOfRange(let second):
            return "second \(second) is outside 00-59"
        case .leapSecond:
            return "leap second :60 is not supported; use a smeared or Unix-time clock"
        case .offsetOutOfRange:
            return "time zone offset is outside -23:59...+23:59"
        }
    }
}
