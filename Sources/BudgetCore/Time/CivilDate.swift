/// A day in the proleptic Gregorian calendar, with no time of day and no time zone.
public struct CivilDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The year; 1...9999 when created through the validating initializer.
    public let year: Int
    /// The month, 1...12.
    public let month: Int
    /// The day of the month, 1...`CivilDate.daysInMonth(year:month:)`.
    public let day: Int

    /// The years a `CivilDate` can be created for (the RFC 3339 range).
    public static let supportedYears: ClosedRange<Int> = 1...9999

    /// Creates a date, or nil when the year is outside 1...9999 or the month or day does not exist.
    public init?(year: Int, month: Int, day: Int) {
        guard CivilDate.supportedYears.contains(year), (1...12).contains(month),
              day >= 1, day <= CivilDate.daysInMonth(year: year, month: month)
        else { return nil }
        self.init(uncheckedYear: year, month: month, day: day)
    }

    /// Creates a date whose fields the caller has already validated (or computed).
    @usableFromInline
    init(uncheckedYear year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Whether `year` has a 29 February (divisible by 4, except centuries not divisible by 400).
    @inlinable
    public static func isLeapYear(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    /// Whether this date's year has a 29 February.
    @inlinable
    public var isLeapYear: Bool { CivilDate.isLeapYear(year) }

    /// The number of days in `month` (1...12) of `year`: 28, 29, 30 or 31.
    @inlinable
    public static func daysInMonth(year: Int, month: Int) -> Int {
        precondition((1...12).contains(month), "month must be 1...12")
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Orders dates chronologically.
    @inlinable
    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// `YYYY-MM-DD` (RFC 3339 full-date).
    public var description: String {
        CivilDate.paddedYear(year) + "-" + CivilDate.twoDigits(month) + "-" + CivilDate.twoDigits(day)
    }

    static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }

    /// Four digits for 0...9999; otherwise ISO 8601's expanded form with a sign.
    static func paddedYear(_ year: Int) -> String {
        if (0...9999).contains(year) {
            let digits = String(year)
            return String(repeating: "0", count: 4 - digits.count) + digits
        }
        let digits = String(year.magnitude)
        return (year < 0 ? "-" : "+") + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
