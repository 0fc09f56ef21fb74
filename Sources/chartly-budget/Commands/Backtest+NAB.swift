import BudgetCore
import Foundation

/// `backtest --nab DIR`: every file of a Numenta Anomaly Benchmark layout through the detector, scored by
/// NAB's own scorer.
extension Backtest {
    func runNAB(_ directory: String, configuration: AnomalyConfiguration) throws {
        let files = try Self.nabFiles(directory)
        guard !files.isEmpty else { throw ClientFailure("no \(directory)/data/CATEGORY/*.csv found") }
        print("NAB corpus \(directory): \(files.count) files; \(describe(configuration)), each file at its own interval.")
        try? FileManager.default.removeItem(atPath: output)
        for file in files {
            let series = try Self.readSeries("\(directory)/data/\(file)")
            let fired = AnomalyReplay.firedLines(series, configuration: configuration)
            let adjusted = AnomalyReplay.configuration(configuration, for: series)
            print("  \(file): \(series.summary); \(fired.count) alert\(fired.count == 1 ? "" : "s") (interval \(adjusted.intervalSeconds) s)")
            try Self.writeDetections(source: "\(directory)/data/\(file)", fired: fired, to: "\(output)/\(file)")
        }
        let script = nabScore ?? Self.defaultScorer(directory)
        print("\nNAB scores (\(script) \(output) --corpus \(directory)):")
        print(try Self.runScorer(script, results: output, corpus: directory), terminator: "")
    }

    /// CATEGORY/FILE.csv for every CSV file under DIR/data, sorted.
    static func nabFiles(_ directory: String) throws -> [String] {
        let manager = FileManager.default
        guard let categories = try? manager.contentsOfDirectory(atPath: "\(directory)/data") else {
            throw ClientFailure("\(directory)/data is not a directory")
        }
        var files: [String] = []
        for category in categories.sorted() {
            guard let names = try? manager.contentsOfDirectory(atPath: "\(directory)/data/\(category)") else { continue }
            files += names.filter { $0.hasSuffix(".csv") }.sorted().map { "\(category)/\($0)" }
        }
        return files
    }

    /// One row per data row of `source`, in its order and with its timestamp text: 1 where an alert fired.
    static func writeDetections(source: String, fired: Set<Int>, to path: String) throws {
        guard let data = FileManager.default.contents(atPath: source) else { throw ClientFailure("cannot open \(source)") }
        let lines = String(decoding: data, as: UTF8.self).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        let header = lines.first.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() } } ?? []
        let column = header.firstIndex(of: "timestamp") ?? 0
        var text = "timestamp,detection\n"
        for (offset, line) in lines.enumerated().dropFirst() where !line.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            let stamp = column < fields.count ? fields[column].trimmingCharacters(in: .whitespacesAndNewlines) : ""
            text += "\(stamp),\(fired.contains(offset + 1) ? 1 : 0)\n"
        }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// DIR/../../scripts/nab-score (the shared layout: shared/data/nab and shared/scripts).
    static func defaultScorer(_ directory: String) -> String {
        let absolute = directory.hasPrefix("/") ? directory : FileManager.default.currentDirectoryPath + "/" + directory
        var components: [Substring] = []
        for component in (absolute + "/../../scripts/nab-score").split(separator: "/") {
            switch component {
            case ".": continue
            case "..": _ = components.popLast()
            default: components.append(component)
            }
        }
        return "/" + components.joined(separator: "/")
    }

    /// Runs NAB's scorer with python3 and returns what it printed.
    static func runScorer(_ script: String, results: String, corpus: String) throws -> String {
        guard FileManager.default.fileExists(atPath: script) else { throw ClientFailure("no NAB scorer at \(script) (--nab-score)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, results, "--corpus", corpus]
        let pipe = Pipe(), errors = Pipe()
        process.standardOutput = pipe
        process.standardError = errors
        try process.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ClientFailure("the NAB scorer failed (\(process.terminationStatus)): \(String(decoding: err, as: UTF8.self))")
        }
        return String(decoding: out, as: UTF8.self)
    }
}
