/// One alert a replay would have raised: when it fired and resolved, and its largest impact.
public struct AnomalyEpisode: Sendable, Hashable, Codable {
    /// Up or down.
    public var direction: AnomalyDirection
    /// When it fired.
    public var start: Timestamp
    /// When it resolved, or nil if still open at the end of the series.
    public var end: Timestamp?
    /// Intervals from firing to resolving (or to the last point), both included.
    public var intervals: Int
    /// The largest impact in its direction, currency per hour (negative for a decline).
    public var peakImpactPerHour: Money
    /// The impact percent at that peak, or nil when expected was about zero.
    public var peakImpactPercent: Double?

    /// Collects episodes from assessments, in order.
    public struct Tracker: Sendable {
        /// The episodes so far, the open one last.
        public private(set) var episodes: [AnomalyEpisode] = []
        private var isOpen = false

        public init() {}

        /// Accounts for the next assessment.
        public mutating func record(_ assessment: AnomalyAssessment) {
            guard !assessment.ignored else { return }
            if assessment.transition == .fired, let direction = assessment.openDirection {
                episodes.append(AnomalyEpisode(
                    direction: direction, start: assessment.timestamp, end: nil, intervals: 0,
                    peakImpactPerHour: assessment.impactPerHour, peakImpactPercent: assessment.impactPercent
                ))
                isOpen = true
            }
            guard isOpen, var episode = episodes.last else { return }
            episode.intervals += 1
            let larger = episode.direction == .down
                ? assessment.impactPerHour < episode.peakImpactPerHour
                : assessment.impactPerHour > episode.peakImpactPerHour
            if larger {
                episode.peakImpactPerHour = assessment.impactPerHour
                episode.peakImpactPercent = assessment.impactPercent
            }
            if assessment.transition == .resolved {
                episode.end = assessment.timestamp
                isOpen = false
            }
            episodes[episodes.count - 1] = episode
        }
    }
}
