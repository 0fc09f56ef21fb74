/// How a tenant's spending periods run: calendar months in UTC by default, optionally starting on another
/// day of the month (1–28, like many billing cycles), or calendar days.
public struct BillingPeriod: Sendable, Hashable, Codable {
    public var kind: PeriodKind
    /// The day of the month a monthly period starts on (1–28); ignored for daily periods.
    public var startDay: Int

    public init(kind: PeriodKind = .month, startDay: Int = 1) {
        self.kind = kind
        self.startDay = startDay
    }

    /// The calendar month in UTC.
    public static let calendarMonth = BillingPeriod()

    /// Whether the settings are usable.
    public var isValid: Bool { (1...28).contains(startDay) }

    /// The period containing `instant`: `start` inclusive, `end` exclusive.
    public func bounds(containing instant: Timestamp) -> (start: Timestamp, end: Timestamp) {
        guard kind == .month, startDay != 1 else { return kind.bounds(containing: instant) }
        let date = instant.civilDate
        var year = date.year
        var month = date.month
        if date.day < startDay {
            month -= 1
            if month == 0 {
                month = 12
                year -= 1
            }
        }
        var nextYear = year
        var nextMonth = month + 1
        if nextMonth == 13 {
            nextMonth = 1
            nextYear += 1
        }
        let start = Timestamp(year: year, month: month, day: startDay) ?? instant.startOfMonth
        let end = Timestamp(year: nextYear, month: nextMonth, day: startDay) ?? instant.startOfNextMonth
        return (start, end)
    }
}
