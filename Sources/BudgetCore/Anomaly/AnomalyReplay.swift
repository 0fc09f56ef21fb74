/// Replays a merged series through the detector, as the backtest and the NAB scoring do.
public enum AnomalyReplay {
    /// The configuration for `series`: `configuration` with the series' own interval (its median spacing).
    public static func configuration(_ configuration: AnomalyConfiguration, for series: SeriesMerge) -> AnomalyConfiguration {
        var adjusted = configuration
        if let interval = series.intervalSeconds { adjusted.intervalSeconds = min(interval, 604_800) }
        return adjusted
    }

    /// Every point's assessment, in time order.
    public static func assessments(_ series: SeriesMerge, configuration: AnomalyConfiguration) -> [AnomalyAssessment] {
        var state = AnomalyState()
        return series.points.map { AnomalyDetector.observe(($0.timestamp, $0.value), state: &state, configuration: configuration) }
    }

    /// The line numbers of the rows where an alert fires, with `configuration` at the series' own interval.
    public static func firedLines(_ series: SeriesMerge, configuration: AnomalyConfiguration) -> Set<Int> {
        let assessments = assessments(series, configuration: Self.configuration(configuration, for: series))
        return Set(zip(series.points, assessments).filter { $0.1.transition == .fired }.map(\.0.line))
    }
}
