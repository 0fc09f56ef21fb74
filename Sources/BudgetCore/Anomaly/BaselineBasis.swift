/// What an expected value was computed from.
public enum BaselineBasis: String, Sendable, Hashable, Codable {
    /// Fewer than 3 values yet: expected is the actual value.
    case none
    /// The median of the last 30 values.
    case recentMedian = "recent_median"
    /// The midpoint of that median and the value exactly a day earlier (a daily shape half followed).
    case recentAndDayBefore = "recent_and_day_before"
    /// The median of the values learnt at exactly the same time on each of the previous 3 days, chosen while it
    /// has recently predicted the series better than the two above (a weekday-like daily shape followed whole).
    case previousDays = "previous_days"
}
