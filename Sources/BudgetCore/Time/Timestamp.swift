/// An instant in UTC: whole microseconds since 1970-01-01T00:00:00Z, without leap seconds (Unix time).
///
/// Every `Int64` value is a valid timestamp. RFC 3339 text covers the years 0001–9999 only
/// (`Timestamp.rfc3339Range`); arithmetic traps on `Int64` overflow, like integer arithmetic.
public struct Timestamp: Sendable, Hashable, Comparable {
    /// Microseconds since the Unix epoch; negative before 1970.
    public let microsecondsSinceEpoch: Int64

    /// Creates a timestamp from microseconds since the Unix epoch.
    @inlinable
    public init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    /// Creates a timestamp at whole seconds since the Unix epoch; traps if it is not representable.
    @inlinable
    public init(seconds: Int64) {
        self.init(microsecondsSinceEpoch: seconds * Timestamp.microsecondsPerSecond)
    }

    /// Whole seconds since the Unix epoch, rounded down (so -0.5 s is -1).
    @inlinable
    public var seconds: Int64 {
        Timestamp.floorDivision(microsecondsSinceEpoch, Timestamp.microsecondsPerSecond).quotient
    }

    /// The microseconds past the whole second, 0...999_999.
    @inlinable
    public var microsecondOfSecond: Int64 {
        Timestamp.floorDivision(microsecondsSinceEpoch, Timestamp.microsecondsPerSecond).remainder
    }

    /// 1970-01-01T00:00:00Z.
    public static let epoch = Timestamp(microsecondsSinceEpoch: 0)

    /// The instants RFC 3339 text can express: 0001-01-01T00:00:00Z through 9999-12-31T23:59:59.999999Z.
    public static let rfc3339Range =
        Timestamp(microsecondsSinceEpoch: -62_135_596_800_000_000)...Timestamp(microsecondsSinceEpoch: 253_402_300_799_999_999)

    /// Microseconds in one second.
    public static let microsecondsPerSecond: Int64 = 1_000_000
    /// Microseconds in one hour.
    public static let microsecondsPerHour: Int64 = 3_600_000_000
    /// Microseconds in one day.
    public static let microsecondsPerDay: Int64 = 86_400_000_000

    /// Orders timestamps from earlier to later.
    @inlinable
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    /// Division rounding towards negative infinity, with a remainder in `0..<divisor` (divisor > 0).
    /// Never overflows, unlike `(value - remainder)`-style formulas near `Int64.min`.
    @inlinable
    static func floorDivision(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        var quotient = value / divisor
        var remainder = value % divisor
        if remainder < 0 {
            quotient -= 1
            remainder += divisor
        }
        return (quotient, remainder)
    }
}
