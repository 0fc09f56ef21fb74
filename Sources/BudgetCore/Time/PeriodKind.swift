/// The length of a budget period: a calendar month or a calendar day, both in UTC.
public enum PeriodKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// A calendar month in UTC, from the 1st at 00:00 to the 1st of the next month.
    case month
    /// A calendar day in UTC, from 00:00 to the next 00:00.
    case day

    /// The period of this kind containing `instant`: `start` inclusive, `end` exclusive.
    @inlinable
    public func bounds(containing instant: Timestamp) -> (start: Timestamp, end: Timestamp) {
        switch self {
        case .month: return (instant.startOfMonth, instant.startOfNextMonth)
        case .day: return (instant.startOfDay, instant.startOfNextDay)
        }
    }
}
