/// An exact length of time in whole microseconds; negative when it runs backwards.
public struct TimeSpan: Sendable, Hashable, Comparable, AdditiveArithmetic {
    /// The length in microseconds.
    public let microseconds: Int64

    /// Creates a span of `microseconds` microseconds.
    @inlinable
    public init(microseconds: Int64) {
        self.microseconds = microseconds
    }

    /// No time at all.
    public static let zero = TimeSpan(microseconds: 0)

    /// A span of `count` microseconds.
    @inlinable
    public static func microseconds(_ count: Int64) -> TimeSpan {
        TimeSpan(microseconds: count)
    }

    /// A span of `count` seconds; traps if it is not representable.
    @inlinable
    public static func seconds(_ count: Int64) -> TimeSpan {
        TimeSpan(microseconds: count * Timestamp.microsecondsPerSecond)
    }

    /// A span of `count` minutes; traps if it is not representable.
    @inlinable
    public static func minutes(_ count: Int64) -> TimeSpan {
        TimeSpan(microseconds: count * 60 * Timestamp.microsecondsPerSecond)
    }

    /// A span of `count` hours; traps if it is not representable.
    @inlinable
    public static func hours(_ count: Int64) -> TimeSpan {
        TimeSpan(microseconds: count * Timestamp.microsecondsPerHour)
    }

    /// A span of `count` 24-hour days; traps if it is not representable.
    @inlinable
    public static func days(_ count: Int64) -> TimeSpan {
        TimeSpan(microseconds: count * Timestamp.microsecondsPerDay)
    }

    /// The length in hours as a `Double`, for display and forecasts only (never for money).
    @inlinable
    public var totalHours: Double {
        Double(microseconds) / Double(Timestamp.microsecondsPerHour)
    }

    /// The length in seconds as a `Double`, for display only.
    @inlinable
    public var totalSeconds: Double {
        Double(microseconds) / Double(Timestamp.microsecondsPerSecond)
    }

    /// Orders spans from shorter (or more negative) to longer.
    @inlinable
    public static func < (lhs: TimeSpan, rhs: TimeSpan) -> Bool {
        lhs.microseconds < rhs.microseconds
    }

    /// The sum of two spans; traps on overflow.
    @inlinable
    public static func + (lhs: TimeSpan, rhs: TimeSpan) -> TimeSpan {
        TimeSpan(microseconds: lhs.microseconds + rhs.microseconds)
    }

    /// The difference of two spans; traps on overflow.
    @inlinable
    public static func - (lhs: TimeSpan, rhs: TimeSpan) -> TimeSpan {
        TimeSpan(microseconds: lhs.microseconds - rhs.microseconds)
    }
}
