/// Turns the rows of an export, as they come, into a series the detector can replay: sorted by time, one
/// value per timestamp, the way the service merges late usage. A late row takes its place in time. A row
/// repeating a timestamp is a re-sent sample: the service identifies a sample by its start, so the copy is
/// not more usage. The first value read is kept (as the service keeps the stored sample and refuses a
/// changed copy); copies with another value are counted as conflicts.
public struct SeriesMerge: Sendable {
    /// The merged series, in time order, with the line each point came from.
    public var points: [(timestamp: Timestamp, value: Double, line: Int)] = []
    /// Rows read.
    public var rows = 0
    /// Rows dropped as copies of an earlier row's timestamp (same value).
    public var duplicates = 0
    /// Rows dropped as copies of an earlier row's timestamp with another value (the first value kept).
    public var conflicts = 0
    /// Rows earlier than a row above them in the file (put in their place).
    public var reordered = 0
    /// Rows whose timestamp had no offset (read as UTC).
    public var withoutOffset = 0
    /// The median spacing of consecutive timestamps in seconds (nil under two points).
    public var medianIntervalSeconds: Double?
    /// Spacings of at least twice the median (gaps), and the intervals missing in them.
    public var gaps = 0
    public var missingIntervals = 0

    /// Merges `rows` (in file order).
    public init(_ input: [SeriesCSVReader.Row]) {
        rows = input.count
        var latest: Timestamp?
        for row in input {
            if let latest, row.timestamp < latest { reordered += 1 }
            latest = max(latest ?? row.timestamp, row.timestamp)
            if row.withoutOffset { withoutOffset += 1 }
        }
        // A stable sort keeps the first row of each timestamp first.
        let sorted = input.enumerated().sorted { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }.map(\.element)
        for row in sorted {
            if let last = points.last, last.timestamp == row.timestamp {
                if last.value == row.value { duplicates += 1 } else { conflicts += 1 }
                continue
            }
            points.append((row.timestamp, row.value, row.line))
        }
        let spacings = zip(points.dropFirst(), points).map { Double($0.timestamp.microseconds(since: $1.timestamp)) / 1e6 }
        medianIntervalSeconds = RobustStatistics.median(spacings)
        if let median = medianIntervalSeconds, median > 0 {
            for spacing in spacings where spacing >= 2 * median {
                gaps += 1
                missingIntervals += Int((spacing / median).rounded()) - 1
            }
        }
    }

    /// The interval to configure the detector with: the median spacing in whole seconds (at least 1), or nil.
    public var intervalSeconds: Int? {
        medianIntervalSeconds.map { max(1, Int($0.rounded())) }
    }

    /// What the merge did, in one line.
    public var summary: String {
        var parts = ["\(rows) rows, \(points.count) points"]
        if duplicates > 0 { parts.append("\(duplicates) duplicate row\(duplicates == 1 ? "" : "s") merged (same timestamp and value)") }
        if conflicts > 0 { parts.append("\(conflicts) row\(conflicts == 1 ? "" : "s") repeating a timestamp with another value dropped (the first value kept)") }
        if reordered > 0 { parts.append("\(reordered) row\(reordered == 1 ? "" : "s") out of order put in time order") }
        if gaps > 0 { parts.append("\(gaps) gap\(gaps == 1 ? "" : "s") (\(missingIntervals) missing interval\(missingIntervals == 1 ? "" : "s"))") }
        if withoutOffset > 0 { parts.append("\(withoutOffset) timestamp\(withoutOffset == 1 ? "" : "s") without an offset read as UTC") }
        if let interval = intervalSeconds { parts.append("median interval \(interval) s") }
        return parts.joined(separator: "; ")
    }
}
