import Testing
import BudgetCore

@Suite struct CalendarRuleTests {
    @Test(arguments: [
        (1900, false), (2000, true), (2024, true), (2023, false), (2100, false), (2400, true), (1600, true), (4, true), (1, false),
    ])
    func leapYears(year: Int, isLeap: Bool) {
        #expect(CivilDate.isLeapYear(year) == isLeap)
        #expect((CivilDate(year: year, month: 2, day: 29) != nil) == isLeap)
        #expect(CivilDate.daysInMonth(year: year, month: 2) == (isLeap ? 29 : 28))
    }

    @Test func monthLengths() {
        #expect((1...12).map { CivilDate.daysInMonth(year: 2023, month: $0) } == [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
        #expect((1...12).map { CivilDate.daysInMonth(year: 2024, month: $0) }.reduce(0, +) == 366)
    }

    @Test func validatesCivilFields() {
        #expect(CivilDate(year: 2024, month: 4, day: 30) != nil)
        #expect(CivilDate(year: 2024, month: 4, day: 31) == nil)
        #expect(CivilDate(year: 2024, month: 13, day: 1) == nil)
        #expect(CivilDate(year: 0, month: 1, day: 1) == nil)
        #expect(CivilDate(year: 10_000, month: 1, day: 1) == nil)
        let date = CivilDate(year: 2024, month: 1, day: 1)!
        #expect(CivilDateTime(date: date, hour: 24) == nil)
        #expect(CivilDateTime(date: date, second: 60) == nil)
        #expect(CivilDateTime(date: date, microsecond: 1_000_000) == nil)
        #expect(Timestamp(year: 2023, month: 2, day: 29) == nil)
        #expect(date.description == "2024-01-01")
        #expect(CivilDate(year: 7, month: 3, day: 9)!.description == "0007-03-09")
    }

    @Test func ordersDates() {
        let dates = [(2024, 3, 1), (2023, 12, 31), (2024, 2, 29)].map { CivilDate(year: $0.0, month: $0.1, day: $0.2)! }
        #expect(dates.sorted().map(\.description) == ["2023-12-31", "2024-02-29", "2024-03-01"])
    }
}

@Suite struct DayCountTests {
    // Anchors from GNU `date -u -d DATE +%s` ÷ 86400.
    @Test(arguments: [
        (1970, 1, 1, Int64(0)),
        (1969, 12, 31, -1),
        (1969, 12, 1, -31),
        (2000, 3, 1, 11_017),
        (1900, 2, 1, -25_536),
        (2024, 2, 29, 19_782),
        (2024, 3, 1, 19_783),
        (1, 1, 1, -719_162),
        (9999, 12, 31, 2_932_896),
    ])
    func convertsBothWays(year: Int, month: Int, day: Int, days: Int64) {
        let date = CivilDate(year: year, month: month, day: day)!
        #expect(date.daysSinceEpoch == days)
        #expect(CivilDate(daysSinceEpoch: days) == date)
    }

    @Test func everyDayFrom0001To9999FollowsTheCalendar() {
        // Walk day by day: each next date must be the next day of the month, or the 1st of the
        // next month exactly after the month's last day, and converting back must give the day count.
        var previous = CivilDate(daysSinceEpoch: -719_162)
        #expect(previous == CivilDate(year: 1, month: 1, day: 1))
        var failures = 0
        for days in Int64(-719_161)...2_932_896 {
            let date = CivilDate(daysSinceEpoch: days)
            let expected: (Int, Int, Int)
            if previous.day < CivilDate.daysInMonth(year: previous.year, month: previous.month) {
                expected = (previous.year, previous.month, previous.day + 1)
            } else if previous.month < 12 {
                expected = (previous.year, previous.month + 1, 1)
            } else {
                expected = (previous.year + 1, 1, 1)
            }
            if (date.year, date.month, date.day) != expected || date.daysSinceEpoch != days { failures += 1 }
            previous = date
        }
        #expect(failures == 0)
        #expect(previous == CivilDate(year: 9999, month: 12, day: 31))
    }
}

@Suite struct CalendarBoundaryTests {
    private func time(_ text: String) -> Timestamp { Timestamp(rfc3339: text)! }

    @Test func civilFieldsBeforeTheEpoch() {
        let civil = Timestamp(microsecondsSinceEpoch: -1).civil
        #expect(civil.date == CivilDate(year: 1969, month: 12, day: 31))
        #expect((civil.hour, civil.minute, civil.second, civil.microsecond) == (23, 59, 59, 999_999))
        #expect(Timestamp(civil: civil).microsecondsSinceEpoch == -1)
    }

    @Test func civilRoundTripsAtTheInt64Extremes() {
        for micros in [Int64.min, .min + 1, .max, .max - 1] {
            let timestamp = Timestamp(microsecondsSinceEpoch: micros)
            #expect(Timestamp(civil: timestamp.civil) == timestamp)
        }
    }

    @Test func startsOfHourAndDay() {
        #expect(time("2024-02-29T12:34:56.789Z").startOfHour == time("2024-02-29T12:00:00Z"))
        #expect(time("2024-02-29T12:34:56.789Z").startOfDay == time("2024-02-29T00:00:00Z"))
        #expect(Timestamp(microsecondsSinceEpoch: -1).startOfHour.microsecondsSinceEpoch == -3_600_000_000)
        #expect(Timestamp(microsecondsSinceEpoch: -1).startOfDay.microsecondsSinceEpoch == -86_400_000_000)
        #expect(Timestamp.epoch.startOfDay == .epoch)
        #expect(time("1999-12-31T23:59:59.999999Z").startOfNextDay == time("2000-01-01T00:00:00Z"))
    }

    @Test(arguments: [
        // instant, start of its month, start of the next month, days in the month
        ("2023-01-15T10:00:00Z", "2023-01-01T00:00:00Z", "2023-02-01T00:00:00Z", Int64(31)),
        ("2023-02-28T23:59:59.999999Z", "2023-02-01T00:00:00Z", "2023-03-01T00:00:00Z", 28),
        ("2024-02-29T23:59:59.999999Z", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z", 29),
        ("2024-04-30T12:00:00Z", "2024-04-01T00:00:00Z", "2024-05-01T00:00:00Z", 30),
        ("1900-02-10T00:00:00Z", "1900-02-01T00:00:00Z", "1900-03-01T00:00:00Z", 28),
        ("2000-02-10T00:00:00Z", "2000-02-01T00:00:00Z", "2000-03-01T00:00:00Z", 29),
        ("2023-12-31T23:59:59.999999Z", "2023-12-01T00:00:00Z", "2024-01-01T00:00:00Z", 31),
        ("2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z", 31),
        ("1969-12-31T12:00:00Z", "1969-12-01T00:00:00Z", "1970-01-01T00:00:00Z", 31),
        ("1960-02-29T00:00:00Z", "1960-02-01T00:00:00Z", "1960-03-01T00:00:00Z", 29),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "0001-02-01T00:00:00Z", 31),
        ("9999-12-31T23:59:59.999999Z", "9999-12-01T00:00:00Z", "+10000-01-01T00:00:00Z", 31),
    ])
    func monthBounds(instant: String, start: String, end: String, days: Int64) {
        let timestamp = time(instant)
        #expect(timestamp.startOfMonth.rfc3339 == start)
        #expect(timestamp.startOfNextMonth.rfc3339 == end)
        let bounds = PeriodKind.month.bounds(containing: timestamp)
        #expect(bounds.start == timestamp.startOfMonth)
        #expect(bounds.end == timestamp.startOfNextMonth)
        #expect(bounds.start <= timestamp && timestamp < bounds.end)
        #expect((bounds.end - bounds.start) == .days(days))
    }

    @Test func dayBounds() {
        let bounds = PeriodKind.day.bounds(containing: time("2024-02-29T23:59:59.999999Z"))
        #expect(bounds.start == time("2024-02-29T00:00:00Z"))
        #expect(bounds.end == time("2024-03-01T00:00:00Z"))
        let beforeEpoch = PeriodKind.day.bounds(containing: Timestamp(microsecondsSinceEpoch: -1))
        #expect(beforeEpoch.start.rfc3339 == "1969-12-31T00:00:00Z")
        #expect(beforeEpoch.end == .epoch)
        // The end is exclusive: the first instant of the next day belongs to the next period.
        #expect(PeriodKind.day.bounds(containing: bounds.end).start == bounds.end)
    }

    @Test func periodKindCodesAsItsName() {
        #expect(PeriodKind(rawValue: "month") == .month)
        #expect(PeriodKind(rawValue: "day") == .day)
        #expect(PeriodKind(rawValue: "week") == nil)
        #expect(PeriodKind.allCases == [.month, .day])
    }

    @Test func initializesFromCivilFields() {
        #expect(Timestamp(year: 2024, month: 2, day: 29, hour: 12, minute: 34, second: 56)?.seconds == 1_709_210_096)
        #expect(Timestamp(date: CivilDate(year: 2024, month: 3, day: 1)!).seconds == 1_709_251_200)
        #expect(Timestamp(year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59, microsecond: 500_000)?
            .microsecondsSinceEpoch == -500_000)
        #expect(time("2024-02-29T12:34:56Z").civilDate == CivilDate(year: 2024, month: 2, day: 29))
    }
}
