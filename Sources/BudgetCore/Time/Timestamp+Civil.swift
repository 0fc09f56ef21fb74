extension Timestamp {
    /// The instant at `civil` in UTC.
    @inlinable
    public init(civil: CivilDateTime) {
        let days = civil.date.daysSinceEpoch
        let secondOfDay = Int64(civil.hour * 3600 + civil.minute * 60 + civil.second)
        // Wrapping operators: a public CivilDate is in 1...9999, any other came from a Timestamp,
        // so the true result always fits and wrapping arithmetic yields it even next to Int64.min.
        let micros = days &* Timestamp.microsecondsPerDay
            &+ (secondOfDay * Timestamp.microsecondsPerSecond + Int64(civil.microsecond))
        self.init(microsecondsSinceEpoch: micros)
    }

    /// Midnight UTC at the start of `date`.
    @inlinable
    public init(date: CivilDate) {
        self.init(microsecondsSinceEpoch: date.daysSinceEpoch * Timestamp.microsecondsPerDay)
    }

    /// The instant with these UTC fields, or nil when any field is out of range (years 1...9999).
    public init?(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, microsecond: Int = 0) {
        guard let date = CivilDate(year: year, month: month, day: day),
              let civil = CivilDateTime(date: date, hour: hour, minute: minute, second: second, microsecond: microsecond)
        else { return nil }
        self.init(civil: civil)
    }

    /// This instant's calendar date and time of day in UTC.
    @inlinable
    public var civil: CivilDateTime {
        let (days, microOfDay) = Timestamp.floorDivision(microsecondsSinceEpoch, Timestamp.microsecondsPerDay)
        let secondOfDay = Int(microOfDay / Timestamp.microsecondsPerSecond)
        return CivilDateTime(
            uncheckedDate: CivilDate(daysSinceEpoch: days),
            hour: secondOfDay / 3600,
            minute: secondOfDay / 60 % 60,
            second: secondOfDay % 60,
            microsecond: Int(microOfDay % Timestamp.microsecondsPerSecond)
        )
    }

    /// This instant's calendar date in UTC.
    @inlinable
    public var civilDate: CivilDate {
        CivilDate(daysSinceEpoch: Timestamp.floorDivision(microsecondsSinceEpoch, Timestamp.microsecondsPerDay).quotient)
    }

    /// The start of the UTC hour containing this instant.
    @inlinable
    public var startOfHour: Timestamp { truncated(to: Timestamp.microsecondsPerHour) }

    /// Midnight UTC at the start of the day containing this instant.
    @inlinable
    public var startOfDay: Timestamp { truncated(to: Timestamp.microsecondsPerDay) }

    /// Midnight UTC at the start of the next day.
    @inlinable
    public var startOfNextDay: Timestamp { startOfDay + .days(1) }

    /// Midnight UTC on the first day of the month containing this instant.
    @inlinable
    public var startOfMonth: Timestamp {
        let date = civilDate
        return Timestamp(firstOfMonthYear: Int64(date.year), month: Int64(date.month))
    }

    /// Midnight UTC on the first day of the month after the one containing this instant.
    @inlinable
    public var startOfNextMonth: Timestamp {
        let date = civilDate
        return date.month == 12
            ? Timestamp(firstOfMonthYear: Int64(date.year) + 1, month: 1)
            : Timestamp(firstOfMonthYear: Int64(date.year), month: Int64(date.month) + 1)
    }

    @inlinable
    init(firstOfMonthYear year: Int64, month: Int64) {
        let days = CivilDate.daysSinceEpoch(year: year, month: month, day: 1)
        self.init(microsecondsSinceEpoch: days * Timestamp.microsecondsPerDay)
    }

    /// Rounds down to a multiple of `unit` microseconds since the epoch (towards the past).
    @inlinable
    func truncated(to unit: Int64) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: Timestamp.floorDivision(microsecondsSinceEpoch, unit).quotient * unit)
    }
}
