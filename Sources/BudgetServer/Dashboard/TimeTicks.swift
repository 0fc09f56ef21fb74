import BudgetCore

/// Ticks for a time axis: whole UTC days ("Nov 3") for long ranges, whole hours ("06:00") for short ones.
struct TimeTick: Equatable {
    var at: Timestamp
    var label: String
}

enum TimeTicks {
    /// At most about `maximumCount` ticks within `start...end`, at a regular step of days or hours.
    static func ticks(from start: Timestamp, to end: Timestamp, maximumCount: Int = 10) -> [TimeTick] {
        guard end > start else { return [TimeTick(at: start, label: DisplayFormat.day(start))] }
        let hours = Double(end.microsecondsSinceEpoch - start.microsecondsSinceEpoch) / Double(Timestamp.microsecondsPerHour)
        if hours <= 72 {
            let step = [1, 2, 3, 4, 6, 12, 24].first { hours / Double($0) <= Double(maximumCount) } ?? 24
            return ticks(start: start, end: end, step: .hours(Int64(step))) { time in
                time == time.startOfDay ? DisplayFormat.day(time) : DisplayFormat.clock(time)
            }
        }
        let days = hours / 24
        let step = [1, 2, 3, 7, 14, 28, 56, 91, 182, 364].first { days / Double($0) <= Double(maximumCount) } ?? 364
        return ticks(start: start, end: end, step: .days(Int64(step)), label: DisplayFormat.day)
    }

    /// Ticks at `first aligned instant ≥ start`, then every `step`, up to `end`.
    private static func ticks(start: Timestamp, end: Timestamp, step: TimeSpan, label: (Timestamp) -> String) -> [TimeTick] {
        // Align to the step within the UTC day (hours) or to the first midnight (days) so labels are round.
        var time = start.startOfDay
        let alignment = step.microseconds < Timestamp.microsecondsPerDay ? step : TimeSpan.days(1)
        while time < start { time += alignment }
        var ticks: [TimeTick] = []
        while time <= end {
            ticks.append(TimeTick(at: time, label: label(time)))
            time += step
        }
        return ticks
    }
}
