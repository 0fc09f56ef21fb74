import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import BudgetCore

/// The detector on the Numenta Anomaly Benchmark corpus in ../shared/data/nab (real series, labelled windows),
/// scored by NAB's own scorer. The figures are in docs/ALERTS.md; the floor sits below them.
enum NABCorpus {
    /// ../shared/data/nab next to the package root.
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/data/nab").standardized.path
    static let scorer = URL(fileURLWithPath: directory).appendingPathComponent("../../scripts/nab-score").standardized.path
    static var isPresent: Bool { FileManager.default.fileExists(atPath: "\(directory)/data") }

    /// CATEGORY/FILE.csv of every data file, sorted.
    static func files() throws -> [String] {
        let manager = FileManager.default
        var files: [String] = []
        for category in try manager.contentsOfDirectory(atPath: "\(directory)/data").sorted() {
            files += try manager.contentsOfDirectory(atPath: "\(directory)/data/\(category)").filter { $0.hasSuffix(".csv") }.sorted().map { "\(category)/\($0)" }
        }
        return files
    }

    static func text(_ file: String) throws -> String {
        try String(contentsOfFile: "\(directory)/data/\(file)", encoding: .utf8)
    }

    static func series(_ text: String) throws -> SeriesMerge {
        SeriesMerge(try SeriesCSVReader.rows(of: text).get())
    }

    /// NAB's settings: values are not money (no absolute threshold), both directions.
    static var configuration: AnomalyConfiguration {
        var configuration = AnomalyConfiguration.standard
        configuration.absoluteThreshold = .zero
        configuration.direction = .both
        return configuration
    }
}

@Suite(.enabled(if: NABCorpus.isPresent, "../shared/data/nab is absent: NAB tests skipped"), .serialized, .timeLimit(.minutes(20)))
struct AnomalyNABTests {
    struct RestartOutcome: Sendable {
        var file: String
        var stateBytes: Int
        var decodedEqual: Bool
        var restartedEqual: Bool
        var fired: Bool
    }

    @Test func aRestartHalfWayThroughARealSeriesChangesNothing() async throws {
        let files = try NABCorpus.files()
        // One file of each category.
        let picked = Dictionary(grouping: files) { $0.split(separator: "/")[0] }.values.compactMap { $0.first }.sorted()
        #expect(picked.count >= 5)
        // The replays take CPU for a while in a debug build: on a thread of their own (see the floor test).
        let outcomes = try await onOwnThread { () throws -> [RestartOutcome] in
            try picked.map { file in
                let series = try NABCorpus.series(try NABCorpus.text(file))
                let configuration = AnomalyReplay.configuration(NABCorpus.configuration, for: series)
                let straight = AnomalyReplay.assessments(series, configuration: configuration)
                var state = AnomalyState()
                var restarted: [AnomalyAssessment] = []
                var bytes = 0
                var decodedEqual = false
                for (index, point) in series.points.enumerated() {
                    if index == series.points.count / 2 {
                        let data = try JSONEncoder().encode(state)
                        bytes = data.count
                        let decoded = try JSONDecoder().decode(AnomalyState.self, from: data)
                        decodedEqual = decoded == state
                        state = decoded
                    }
                    restarted.append(AnomalyDetector.observe((point.timestamp, point.value), state: &state, configuration: configuration))
                }
                return RestartOutcome(
                    file: file, stateBytes: bytes, decodedEqual: decodedEqual, restartedEqual: restarted == straight,
                    fired: straight.contains { $0.transition == .fired }
                )
            }
        }
        for outcome in outcomes {
            print("\(outcome.file): state \(outcome.stateBytes) bytes of JSON half way")
            // Bounded: 3 days of 5-minute points for the seasonal baseline are most of it (69 KB measured at most).
            #expect(outcome.stateBytes > 0 && outcome.stateBytes < 96_000, "\(outcome.file): \(outcome.stateBytes) bytes")
            #expect(outcome.decodedEqual, "\(outcome.file)")
            #expect(outcome.restartedEqual, "\(outcome.file)")
        }
        let firing = outcomes.filter(\.fired).count
        #expect(firing >= 3, "alerts in \(firing) of the files: the restart is tested across alerts")
    }

    @Test func anExportWithRepeatsDisorderAndGapsGivesTheSameAlerts() async throws {
        let file = "realKnownCause/cpu_utilization_asg_misconfiguration.csv"
        let text = try NABCorpus.text(file)
        let clean = try NABCorpus.series(text)
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
        let header = lines.removeFirst()
        // Re-send every 50th row, swap neighbours every 70 rows, with offsets on some rows.
        var messy: [String] = []
        for (index, line) in lines.enumerated() {
            let fields = line.split(separator: ",")
            messy.append(index % 3 == 0 ? "\(fields[0].replacingOccurrences(of: " ", with: "T"))Z,\(fields[1])" : line)
            if index % 50 == 0 { messy.append(line) }
        }
        for index in stride(from: 10, to: messy.count - 1, by: 70) { messy.swapAt(index, index + 1) }
        let series = try NABCorpus.series(([header] + messy).joined(separator: "\n"))
        #expect(series.duplicates == (lines.count + 49) / 50)
        #expect(series.reordered > 0 && series.conflicts == 0)
        #expect(series.withoutOffset > 0 && series.withoutOffset < series.rows)
        #expect(series.points.map(\.timestamp) == clean.points.map(\.timestamp))
        let fired = { @Sendable (merge: SeriesMerge) in
            AnomalyReplay.assessments(merge, configuration: AnomalyReplay.configuration(NABCorpus.configuration, for: merge))
                .filter { $0.transition == .fired }.map(\.timestamp)
        }
        // The replays take CPU for a while in a debug build: on a thread of their own (see the floor test).
        let (messyAlerts, cleanAlerts) = try await onOwnThread { (fired(series), fired(clean)) }
        #expect(messyAlerts == cleanAlerts)
        #expect(!cleanAlerts.isEmpty)
        // Dropping a day of rows leaves a gap the merge reports, and the replay carries on.
        let gapped = try NABCorpus.series(([header] + lines.enumerated().filter { !(5000..<5048).contains($0.offset) }.map(\.element)).joined(separator: "\n"))
        #expect(gapped.gaps == 1 && gapped.missingIntervals == 48)
    }

    /// Replays every NAB file and scores the detections with NAB's scorer. Minutes of CPU in a debug build: done on a
    /// thread of its own, as Swift Testing runs tests on the cooperative pool (one thread per core), where this would
    /// stall every other suite's work for as long.
    @Test func theNABScoreStaysAboveItsFloor() async throws {
        let (status, printed) = try await onOwnThread { () throws -> (Int32, String) in
            let results = FileManager.default.temporaryDirectory.appendingPathComponent("nab-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: results) }
            for file in try NABCorpus.files() {
                let text = try NABCorpus.text(file)
                let fired = AnomalyReplay.firedLines(try NABCorpus.series(text), configuration: NABCorpus.configuration)
                var output = "timestamp,detection\n"
                for (offset, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated().dropFirst() where !line.isEmpty {
                    output += "\(line.split(separator: ",")[0]),\(fired.contains(offset + 1) ? 1 : 0)\n"
                }
                let path = "\(results)/\(file)"
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try output.write(toFile: path, atomically: true, encoding: .utf8)
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["nice", "-n", "19", "python3", NABCorpus.scorer, results, "--corpus", NABCorpus.directory]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let printed = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, printed)
        }
        #expect(status == 0)
        print(printed)
        var standard: [String: Double] = [:]
        for line in printed.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":"), let range = line.range(of: "standard=") else { continue }
            standard[String(line[..<colon])] = Double(line[range.upperBound...].prefix { $0 != " " })
        }
        let all = try #require(standard["all"])
        // Issue #20's goal: 60 (60.1 measured).
        #expect(all >= 60, "NAB standard score over all files: \(all)")
        #expect(standard.count >= 6)
        // Every labelled category at least 30, issue #20's floor (the measured figures are 30.6 to 89.0).
        for (category, score) in standard { #expect(score >= 30, "\(category): \(score)") }
    }
}

/// Runs `body` on a thread of its own, at the lowest CPU priority (nice 19), and waits for it without holding a thread
/// of the cooperative pool: the replays are minutes of CPU that every other suite, with its time bounds, should go
/// before.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            // On Linux the nice value is per thread: `who` 0 is the calling thread.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
            continuation.resume(with: Result { try body() })
        }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
