extension Timestamp {
    /// The instant `span` later; traps on overflow.
    @inlinable
    public static func + (lhs: Timestamp, rhs: TimeSpan) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: lhs.microsecondsSinceEpoch + rhs.microseconds)
    }

    /// The instant `span` earlier; traps on overflow.
    @inlinable
    public static func - (lhs: Timestamp, rhs: TimeSpan) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: lhs.microsecondsSinceEpoch - rhs.microseconds)
    }

    /// Moves the timestamp `span` later; traps on overflow.
    @inlinable
    public static func += (lhs: inout Timestamp, rhs: TimeSpan) {
        lhs = lhs + rhs
    }

    /// Moves the timestamp `span` earlier; traps on overflow.
    @inlinable
    public static func -= (lhs: inout Timestamp, rhs: TimeSpan) {
        lhs = lhs - rhs
    }

    /// The exact time from `rhs` to `lhs` (`end - start`); traps on overflow.
    @inlinable
    public static func - (lhs: Timestamp, rhs: Timestamp) -> TimeSpan {
        TimeSpan(microseconds: lhs.microsecondsSinceEpoch - rhs.microsecondsSinceEpoch)
    }

    /// The exact time from `start` to this instant, in microseconds (negative if `start` is later).
    @inlinable
    public func microseconds(since start: Timestamp) -> Int64 {
        microsecondsSinceEpoch - start.microsecondsSinceEpoch
    }
}
