import ArgumentParser
import BudgetCore
import Foundation

struct Backtest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay a cost series through the abnormal-growth detector, to tune its thresholds on your own history.",
        discussion: """
            --input FILE.csv has the header timestamp,value (RFC 3339 timestamps, increasing; cost per interval). \
            Each point is printed with its expected value, its anomaly score (0 to 1) and FIRED/RESOLVED markers, \
            then the alerts the detector would have raised. Bad lines are listed with their numbers and nothing is \
            replayed.

            --corpus runs the labelled synthetic corpus instead and prints precision, recall and detection delay: \
            the figures in docs/ALERTS.md. Nothing is sent anywhere.

            Exit codes: 0 done, 1 bad input.
            """
    )

    @Option(help: "The CSV file to replay (header timestamp,value).")
    var input: String?

    @Flag(help: "Run the labelled synthetic corpus instead of a file.")
    var corpus = false

    @Option(help: "Seeds per kind of series with --corpus.")
    var seeds = 10

    @Option(help: "Which way counts: up (growth), down or both.")
    var direction = "up"

    @Option(help: "Relative threshold, a fraction of the expected value (0.5 is +50 %).")
    var relative = 0.5

    @Option(help: "Absolute threshold in currency per hour.")
    var absolute = "1.00"

    @Option(help: "Consecutive intervals beyond (or back within) the thresholds to fire (or resolve).")
    var sustained = 3

    @Option(help: "Intervals of history before any alert.")
    var minHistory = 48

    @Option(help: "Beyond intervals of an open anomaly after which its level becomes the new normal.")
    var adaptation = 72

    @Option(help: "Seconds per interval of the series.")
    var intervalSeconds = 3600

    @Flag(help: "Print only the points where an alert fires or resolves.")
    var alertsOnly = false

    func validate() throws {
        guard (input != nil) != corpus else {
            throw ValidationError("give either --input FILE.csv or --corpus")
        }
        guard (1...1_000).contains(seeds) else { throw ValidationError("--seeds must be 1...1000") }
        _ = try detectorConfiguration()
    }

    func detectorConfiguration() throws -> AnomalyConfiguration {
        guard let watched = AnomalyDirection(rawValue: direction) else {
            throw ValidationError("--direction must be up, down or both")
        }
        guard let threshold = Money(decimalString: absolute) else {
            throw ValidationError("--absolute must be a decimal amount, e.g. 1.00")
        }
        let configuration = AnomalyConfiguration(
            relativeThreshold: relative, absoluteThreshold: threshold, sustainedIntervals: sustained,
            minimumHistory: minHistory, adaptationIntervals: adaptation, direction: watched,
            intervalSeconds: intervalSeconds
        )
        if let problem = configuration.problem { throw ValidationError(problem.message) }
        return configuration
    }

    func run() async throws {
        let configuration = try detectorConfiguration()
        if corpus {
            print("Labelled synthetic corpus: \(SyntheticSeries.Kind.allCases.count) kinds × \(seeds) seeds, 35 days hourly; \(describe(configuration)).")
            print(AnomalyCorpus.table(AnomalyCorpus.evaluate(configuration: configuration, seeds: 0..<UInt64(seeds))))
            return
        }
        guard let input else { return }
        let points = try readSeries(input)
        replay(points, configuration: configuration)
    }

    /// Every point of the file, or a failure listing the bad lines (up to 20) with their numbers.
    func readSeries(_ path: String) throws -> [(timestamp: Timestamp, value: Double)] {
        guard var lines = try? LineReader(path: path) else { throw ClientFailure("cannot open \(path)") }
        guard let header = try lines.next() else { throw ClientFailure("\(path) is empty") }
        var reader: SeriesCSVReader
        do {
            reader = try SeriesCSVReader(header: header)
        } catch {
            throw ClientFailure("\(path): \(error)")
        }
        var points: [(timestamp: Timestamp, value: Double)] = []
        var problems: [SeriesCSVReader.Problem] = []
        var number = 1
        while let line = try lines.next() {
            number += 1
            switch reader.point(line, number: number) {
            case .success(let point?): points.append(point)
            case .success(nil): continue
            case .failure(let problem): problems.append(problem)
            }
        }
        guard problems.isEmpty else {
            let shown = problems.prefix(20).map { "  \(path): \($0)" }.joined(separator: "\n")
            let more = problems.count > 20 ? "\n  … and \(problems.count - 20) more" : ""
            throw ClientFailure("\(problems.count) bad line\(problems.count == 1 ? "" : "s"), nothing replayed:\n\(shown)\(more)")
        }
        guard !points.isEmpty else { throw ClientFailure("\(path) has no data rows") }
        return points
    }

    func replay(_ points: [(timestamp: Timestamp, value: Double)], configuration: AnomalyConfiguration) {
        var state = AnomalyState()
        var tracker = AnomalyEpisode.Tracker()
        var beyond = 0
        var coldPoints = 0
        if !alertsOnly {
            print("timestamp".padding(toLength: 22, withPad: " ", startingAt: 0) + pad("value") + pad("expected") + "score")
        }
        for point in points {
            let assessment = AnomalyDetector.observe(point, state: &state, configuration: configuration)
            tracker.record(assessment)
            if assessment.isBeyond { beyond += 1 }
            if assessment.coldStart { coldPoints += 1 }
            var markers: [String] = []
            if assessment.coldStart { markers.append("cold start") } else if assessment.isBeyond { markers.append("beyond") }
            switch assessment.transition {
            case .fired?: markers.append("FIRED \(assessment.openDirection?.rawValue ?? "") \(impact(assessment.impactPerHour, assessment.impactPercent))")
            case .resolved?: markers.append("RESOLVED")
            case nil: break
            }
            if assessment.adoptedNewLevel { markers.append("new level adopted") }
            if alertsOnly, assessment.transition == nil, !assessment.adoptedNewLevel { continue }
            print(assessment.timestamp.rfc3339.padding(toLength: 22, withPad: " ", startingAt: 0)
                + pad(number(assessment.actual)) + pad(number(assessment.expected))
                + String(format: "%.3f", assessment.score) + (markers.isEmpty ? "" : "  " + markers.joined(separator: "  ")))
        }
        summarize(tracker.episodes, points: points.count, beyond: beyond, coldPoints: coldPoints, configuration: configuration)
    }

    func summarize(_ episodes: [AnomalyEpisode], points: Int, beyond: Int, coldPoints: Int, configuration: AnomalyConfiguration) {
        print("")
        print("\(points) points, \(coldPoints) in the cold start, \(beyond) beyond the thresholds; \(describe(configuration)).")
        if coldPoints == points {
            print("The series is shorter than the minimum history (\(configuration.minimumHistory) intervals): no alert could fire.")
        }
        print("\(episodes.count) alert\(episodes.count == 1 ? "" : "s") would have been raised\(episodes.isEmpty ? "." : ":")")
        for episode in episodes {
            let end = episode.end.map { "→ \($0.rfc3339)" } ?? "→ still open at the end"
            let adopted = episode.adoptedNewLevel ? "  (its level became the new normal)" : ""
            print("  \(episode.direction.rawValue) \(episode.start.rfc3339) \(end)  \(episode.intervals) intervals  peak \(impact(episode.peakImpactPerHour, episode.peakImpactPercent))\(adopted)")
        }
    }

    func describe(_ configuration: AnomalyConfiguration) -> String {
        "direction \(configuration.direction.rawValue), relative \(String(format: "%g", configuration.relativeThreshold * 100)) %, "
            + "absolute \(configuration.absoluteThreshold.decimalString)/h, sustained \(configuration.sustainedIntervals), "
            + "minimum history \(configuration.minimumHistory), adaptation \(configuration.adaptationIntervals), "
            + "interval \(configuration.intervalSeconds) s"
    }

    func impact(_ perHour: Money, _ percent: Double?) -> String {
        let sign = perHour.isNegative ? "" : "+"
        let share = percent.map { String(format: ", %+.0f %%", $0) } ?? ""
        return "(\(sign)\(perHour.decimalString)/h\(share))"
    }

    func number(_ value: Double) -> String {
        // Four decimals, trailing zeros trimmed down to two, like money: 10.00, 10.10, 9.8765.
        var text = String(format: "%.4f", value)
        while text.hasSuffix("0"), let point = text.firstIndex(of: "."), text.distance(from: point, to: text.endIndex) > 3 {
            text.removeLast()
        }
        return text
    }

    func pad(_ text: String) -> String {
        text.count >= 13 ? text + " " : text.padding(toLength: 13, withPad: " ", startingAt: 0)
    }
}
