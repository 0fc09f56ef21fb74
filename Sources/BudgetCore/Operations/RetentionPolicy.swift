/// How long a tenant's data is kept. Expiry drops whole partitions (a day of raw samples, a month of hourly
/// rollups), never rows one by one; daily rollups are kept for as long as the tenant exists.
public struct RetentionPolicy: Sendable, Hashable, Codable {
    /// Days of raw usage samples kept (by sample start, UTC days).
    public var rawDays: Int
    /// Months of hourly cost rollups kept; older costs remain in the daily rollups (compaction to daily).
    public var hourlyMonths: Int
    /// False while the tenant runs on the documented defaults.
    public var isExplicit: Bool

    public static let defaultRawDays = 35
    public static let defaultHourlyMonths = 3
    public static let rawDaysRange = 3...3650
    public static let hourlyMonthsRange = 1...120

    public static let defaults = RetentionPolicy(rawDays: defaultRawDays, hourlyMonths: defaultHourlyMonths, isExplicit: false)

    public init(rawDays: Int, hourlyMonths: Int, isExplicit: Bool = true) {
        self.rawDays = rawDays
        self.hourlyMonths = hourlyMonths
        self.isExplicit = isExplicit
    }

    /// The first problem with the values, naming the field, or nil.
    public var problem: FieldError? {
        if !Self.rawDaysRange.contains(rawDays) {
            return FieldError(
                code: "invalid_value", message: "raw_retention_days must be between \(Self.rawDaysRange.lowerBound) and \(Self.rawDaysRange.upperBound)",
                field: "raw_retention_days"
            )
        }
        if !Self.hourlyMonthsRange.contains(hourlyMonths) {
            return FieldError(
                code: "invalid_value",
                message: "hourly_retention_months must be between \(Self.hourlyMonthsRange.lowerBound) and \(Self.hourlyMonthsRange.upperBound)",
                field: "hourly_retention_months"
            )
        }
        return nil
    }

    /// The first UTC day of raw samples still kept at `now` (partitions of earlier days may be dropped).
    public func rawHorizon(at now: Timestamp) -> Timestamp {
        now.startOfDay - .days(Int64(rawDays - 1))
    }

    /// The first UTC month of hourly rollups still kept at `now`.
    public func hourlyHorizon(at now: Timestamp) -> Timestamp {
        let date = now.civilDate
        let months = Int64(date.year) * 12 + Int64(date.month - 1) - Int64(hourlyMonths - 1)
        return Timestamp(firstOfMonthYear: months / 12, month: months % 12 + 1)
    }
}
