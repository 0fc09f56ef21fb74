/// A calendar date and a time of day in UTC, to the microsecond (no leap seconds).
public struct CivilDateTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The calendar date.
    public let date: CivilDate
    /// The hour, 0...23.
    public let hour: Int
    /// The minute, 0...59.
    public let minute: Int
    /// The second, 0...59.
    public let second: Int
    /// The microseconds past the second, 0...999_999.
    public let microsecond: Int

    /// Creates a date-time, or nil when a time field is out of range.
    public init?(date: CivilDate, hour: Int = 0, minute: Int = 0, second: Int = 0, microsecond: Int = 0) {
        guard (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second),
              (0...999_999).contains(microsecond)
        else { return nil }
        self.init(uncheckedDate: date, hour: hour, minute: minute, second: second, microsecond: microsecond)
    }

    @usableFromInline
    init(uncheckedDate date: CivilDate, hour: Int, minute: Int, second: Int, microsecond: Int) {
        self.date = date
        self.hour = hour
        self.minute = minute
        self.second = second
        self.microsecond = microsecond
    }

    /// Orders date-times chronologically.
    @inlinable
    public static func < (lhs: CivilDateTime, rhs: CivilDateTime) -> Bool {
        if lhs.date != rhs.date { return lhs.date < rhs.date }
        return (lhs.hour, lhs.minute, lhs.second, lhs.microsecond)
            < (rhs.hour, rhs.minute, rhs.second, rhs.microsecond)
    }

    /// The same text as `Timestamp.rfc3339` for this instant.
    public var description: String {
        Timestamp(civil: self).rfc3339
    }
}
