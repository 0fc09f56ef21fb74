/// Spend in a period so far, the run rate, and where they lead by the period's end.
public struct SpendProjection: Sendable, Hashable {
    public var periodStart: Timestamp
    public var periodEnd: Timestamp
    /// Cost of usage from the period's start up to now.
    public var spendSoFar: Money
    /// Cost per hour at the latest complete hour.
    public var runRatePerHour: Money
    /// The real time left in the period (never a flat 730 hours a month).
    public var timeLeft: TimeSpan
    /// spend so far + run rate × hours left.
    public var forecast: Money

    public var hoursLeft: Double { timeLeft.totalHours }
}

/// The forecast model: simple and explainable — spend so far plus the current run rate carried to the period's end.
public enum Forecast {
    /// Projects `spendSoFar` at `now` to the end of the period; nil only on money overflow.
    public static func project(
        spendSoFar: Money,
        runRatePerHour: Money,
        now: Timestamp,
        period: (start: Timestamp, end: Timestamp)
    ) -> SpendProjection? {
        let left = max(0, period.end.microsecondsSinceEpoch - max(now, period.start).microsecondsSinceEpoch)
        guard let carried = CostArithmetic.perHour(runRatePerHour, over: left),
            let forecast = spendSoFar.adding(carried)
        else { return nil }
        return SpendProjection(
            periodStart: period.start, periodEnd: period.end, spendSoFar: spendSoFar, runRatePerHour: runRatePerHour,
            timeLeft: TimeSpan(microseconds: left), forecast: forecast
        )
    }

    /// The latest complete hour at `now`: the run rate is that hour's cost.
    public static func latestCompleteHour(at now: Timestamp) -> Timestamp {
        now.startOfHour - .hours(1)
    }
}
