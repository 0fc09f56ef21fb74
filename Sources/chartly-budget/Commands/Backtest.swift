import ArgumentParser
import BudgetCore
import Foundation

struct Backtest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay a series through the abnormal-growth detector, to tune it on your own history.",
        discussion: """
            --input FILE.csv has the header timestamp,value: one timestamp (RFC 3339; without an offset it is read \
            as UTC) and one number (cost per interval) per line. Rows are merged the way the service merges late \
            usage: sorted by time; a row repeating a timestamp is a re-sent sample and the first value is kept. \
            What the merge did is printed (duplicates, rows reordered, gaps). Lines that cannot be read are listed \
            with their numbers and nothing is replayed. Each point is printed with its expected value, its anomaly \
            likelihood (0 to 1) and FIRED/RESOLVED markers, then the alerts the detector would have raised.

            Tuning on your own history: export a service's hourly cost, replay it with the defaults, and compare \
            the alerts with what you know happened. Too many alerts on harmless growth: raise --absolute (money \
            per hour) or set --relative (e.g. 0.3 for +30 %); alerts on two-interval blips you do not care \
            about: --sustained 3 (the default 2 fires on two intervals in a row, never on one); repeated alerts \
            for one incident: raise --quiet (default 50 intervals) or --quiet-seconds (default 21600: at least \
            6 hours, which decides on series finer than 7-minute intervals). Then put the same values in the \
            tenant's alert configuration.

            --corpus runs the labelled synthetic corpus and prints precision, recall and detection delay. \
            --nab DIR runs every DIR/data/CATEGORY/*.csv of a Numenta Anomaly Benchmark layout with the \
            defaults and each file's own interval (its median spacing), values not being money (--absolute 0 \
            and --direction both unless given), writes OUTPUT/CATEGORY/FILE.csv (timestamp,detection) and scores \
            them with NAB's scorer (--nab-score, by default DIR/../../scripts/nab-score). These are the figures \
            in docs/ALERTS.md. Nothing is sent anywhere.

            Exit codes: 0 done, 1 bad input.
            """
    )

    @Option(help: "The CSV file to replay (header timestamp,value).")
    var input: String?

    @Flag(help: "Run the labelled synthetic corpus instead of a file.")
    var corpus = false

    @Option(help: "Run and score a NAB-layout directory (DIR/data/CATEGORY/*.csv, DIR/labels).")
    var nab: String?

    @Option(help: "Where --nab writes its detections (CATEGORY/FILE.csv).")
    var output = "nab-results"

    @Option(help: "NAB's scoring script for --nab (default: DIR/../../scripts/nab-score).")
    var nabScore: String?

    @Option(help: "Seeds per kind of series with --corpus.")
    var seeds = 10

    @Option(help: "Which way counts: up (growth), down or both (default up; both with --nab).")
    var direction: String?

    @Option(help: "Relative threshold that must also be passed, a fraction of the expected value (0.5 is +50 %; 0: off).")
    var relative = 0.0

    @Option(help: "Absolute threshold in currency per hour (default 1.00; 0 with --nab).")
    var absolute: String?

    @Option(help: "Consecutive intervals beyond (or back within) the thresholds to fire (or resolve).")
    var sustained = 2

    @Option(help: "Intervals of history before any alert.")
    var minHistory = 100

    @Option(help: "Intervals after an alert during which no new alert fires.")
    var quiet = 50

    @Option(help: "And at least this many seconds (the longer of the two counts).")
    var quietSeconds = AnomalyConfiguration.standard.quietSeconds

    @Option(help: "Seconds per interval (default: the file's median spacing; 3600 with --corpus).")
    var intervalSeconds: Int?

    @Flag(help: "Print only the points where an alert fires or resolves.")
    var alertsOnly = false

    func validate() throws {
        guard [input != nil, corpus, nab != nil].filter({ $0 }).count == 1 else {
            throw ValidationError("give one of --input FILE.csv, --corpus or --nab DIR")
        }
        guard (1...1_000).contains(seeds) else { throw ValidationError("--seeds must be 1...1000") }
        _ = try detectorConfiguration()
    }

    func detectorConfiguration() throws -> AnomalyConfiguration {
        let isNAB = nab != nil
        guard let watched = AnomalyDirection(rawValue: direction ?? (isNAB ? "both" : "up")) else {
            throw ValidationError("--direction must be up, down or both")
        }
        guard let threshold = Money(decimalString: absolute ?? (isNAB ? "0" : "1.00")) else {
            throw ValidationError("--absolute must be a decimal amount, e.g. 1.00")
        }
        let configuration = AnomalyConfiguration(
            relativeThreshold: relative, absoluteThreshold: threshold, sustainedIntervals: sustained,
            minimumHistory: minHistory, quietIntervals: quiet, quietSeconds: quietSeconds, direction: watched,
            intervalSeconds: intervalSeconds ?? 3600
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
        if let nab {
            try runNAB(nab, configuration: configuration)
            return
        }
        guard let input else { return }
        let series = try Self.readSeries(input)
        print("\(input): \(series.summary).")
        if series.withoutOffset > 0 { print("Timestamps without an offset were read as UTC.") }
        var replayed = configuration
        if intervalSeconds == nil { replayed = AnomalyReplay.configuration(configuration, for: series) }
        replay(series, configuration: replayed)
    }

    /// Every row of the file merged into a series, or a failure listing the bad lines (up to 20) with their numbers.
    static func readSeries(_ path: String) throws -> SeriesMerge {
        guard let data = FileManager.default.contents(atPath: path) else { throw ClientFailure("cannot open \(path)") }
        switch SeriesCSVReader.rows(of: String(decoding: data, as: UTF8.self)) {
        case .success(let rows):
            guard !rows.isEmpty else { throw ClientFailure("\(path) has no data rows") }
            return SeriesMerge(rows)
        case .failure(let failure):
            let problems = failure.problems
            let shown = problems.prefix(20).map { "  \(path): \($0)" }.joined(separator: "\n")
            let more = problems.count > 20 ? "\n  … and \(problems.count - 20) more" : ""
            throw ClientFailure("\(problems.count) bad line\(problems.count == 1 ? "" : "s"), nothing replayed:\n\(shown)\(more)")
        }
    }

    func replay(_ series: SeriesMerge, configuration: AnomalyConfiguration) {
        var state = AnomalyState()
        let points = series.points
        var tracker = AnomalyEpisode.Tracker()
        var beyond = 0
        var coldPoints = 0
        if !alertsOnly {
            print("timestamp".padding(toLength: 22, withPad: " ", startingAt: 0) + pad("value") + pad("expected") + "score")
        }
        for point in points {
            let assessment = AnomalyDetector.observe((point.timestamp, point.value), state: &state, configuration: configuration)
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
            if alertsOnly, assessment.transition == nil { continue }
            print(assessment.timestamp.rfc3339.padding(toLength: 22, withPad: " ", startingAt: 0)
                + pad(number(assessment.actual)) + pad(number(assessment.expected))
                + String(format: "%.6f", assessment.score) + (markers.isEmpty ? "" : "  " + markers.joined(separator: "  ")))
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
            print("  \(episode.direction.rawValue) \(episode.start.rfc3339) \(end)  \(episode.intervals) intervals  peak \(impact(episode.peakImpactPerHour, episode.peakImpactPercent))")
        }
    }

    func describe(_ configuration: AnomalyConfiguration) -> String {
        "direction \(configuration.direction.rawValue), relative \(String(format: "%g", configuration.relativeThreshold * 100)) %, "
            + "absolute \(configuration.absoluteThreshold.decimalString)/h, sustained \(configuration.sustainedIntervals), "
            + "minimum history \(configuration.minimumHistory), quiet \(configuration.quietIntervals) intervals and \(configuration.quietSeconds) s, "
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
