/// Precision, recall and detection delay of alerts against labelled anomaly windows.
///
/// A window `start..<end` is detected when an alert fires at an index in `start...max(end - 1, start + grace)`
/// (an alert needs a few intervals, so it may come just after a short window); its delay is the first such
/// index minus `start`. An alert firing outside every such range is a false alert.
public struct DetectionQuality: Sendable, Hashable {
    /// Labelled windows.
    public var windows = 0
    /// Windows with an alert in range.
    public var detected = 0
    /// Alerts fired.
    public var alerts = 0
    /// Alerts outside every window's range.
    public var falseAlerts = 0
    /// The delay of each detected window, in intervals.
    public var delays: [Int] = []

    public init() {}

    /// Scores the alerts that fired at `firedAt` (interval indices) against `windows`.
    public init(firedAt: [Int], windows labelled: [Range<Int>], grace: Int) {
        windows = labelled.count
        alerts = firedAt.count
        let ranges = labelled.map { $0.lowerBound...max($0.upperBound - 1, $0.lowerBound + grace) }
        falseAlerts = firedAt.filter { index in !ranges.contains { $0.contains(index) } }.count
        for range in ranges {
            if let first = firedAt.filter({ range.contains($0) }).min() {
                detected += 1
                delays.append(first - range.lowerBound)
            }
        }
    }

    /// The share of alerts that were in a labelled window, or nil without alerts.
    public var precision: Double? {
        alerts == 0 ? nil : Double(alerts - falseAlerts) / Double(alerts)
    }

    /// The share of windows detected, or nil without windows.
    public var recall: Double? {
        windows == 0 ? nil : Double(detected) / Double(windows)
    }

    /// The mean delay of detected windows, in intervals, or nil when none was detected.
    public var meanDelay: Double? {
        delays.isEmpty ? nil : Double(delays.reduce(0, +)) / Double(delays.count)
    }

    /// The longest delay of a detected window, in intervals.
    public var maximumDelay: Int? { delays.max() }

    /// The counts of both together.
    public static func + (lhs: DetectionQuality, rhs: DetectionQuality) -> DetectionQuality {
        var sum = lhs
        sum.windows += rhs.windows
        sum.detected += rhs.detected
        sum.alerts += rhs.alerts
        sum.falseAlerts += rhs.falseAlerts
        sum.delays += rhs.delays
        return sum
    }
}
