// Howard Hinnant's `days_from_civil` / `civil_from_days`
// (https://howardhinnant.github.io/date_algorithms.html): exact for the proleptic Gregorian
// calendar over the whole Int64 day range, with no tables and no Foundation `Calendar`.
// The year is shifted to start on 1 March so the leap day is the last day of the "year".

extension CivilDate {
    /// Days from 1970-01-01 to this date (negative before 1970).
    @inlinable
    public var daysSinceEpoch: Int64 {
        CivilDate.daysSinceEpoch(year: Int64(year), month: Int64(month), day: Int64(day))
    }

    /// The date `days` days after 1970-01-01 (any Int64 day count that fits in ±2^62).
    @inlinable
    public init(daysSinceEpoch days: Int64) {
        let (year, month, day) = CivilDate.civil(daysSinceEpoch: days)
        self.init(uncheckedYear: Int(year), month: Int(month), day: Int(day))
    }

    @inlinable
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400                                    // 0...399
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1  // 0...365
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear   // 0...146_096
        return era * 146_097 + dayOfEra - 719_468
    }

    @inlinable
    static func civil(daysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097                                                    // 0...146_096
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365 // 0...399
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)           // 0...365
        let shiftedMonth = (5 * dayOfYear + 2) / 153                                             // 0...11
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1                                   // 1...31
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9                      // 1...12
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}
