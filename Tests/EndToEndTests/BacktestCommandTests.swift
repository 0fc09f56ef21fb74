import BudgetTestSupport
import Foundation
import Testing

/// `chartly-budget backtest` as a user runs it on an export: what the merge did, the alerts, and the options' checks.
@Suite("The built binary: backtest", .timeLimit(.minutes(3)))
struct BacktestCommandTests {
    static let nabFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/data/nab/data/realKnownCause/ambient_temperature_system_failure.csv").path

    @Test("an export with a repeated timestamp, rows out of order, a gap and no offsets: each is listed, and it replays")
    func messyExport() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("backtest-\(UUID().uuidString).csv").path
        try """
            timestamp,value
            2025-01-01 00:00:00,1
            2025-01-01 02:00:00,1
            2025-01-01 01:00:00,1
            2025-01-01 01:00:00,5
            2025-01-01 05:00:00,2

            """.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try await ChartlyBinary.run(["backtest", "--input", path, "--alerts-only"])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        for said in [
            "5 rows, 4 points", "1 row repeating a timestamp with another value dropped (the first value kept)",
            "2 rows out of order put in time order", "1 gap (2 missing intervals)", "5 timestamps without an offset read as UTC",
            "quiet 50 intervals and 21600 s",
        ] {
            #expect(run.stdout.contains(said), "\(said):\n\(run.stdout)")
        }
    }

    @Test("a real NAB series: the alerts listed are the points marked FIRED, with the defaults the NAB score uses")
    func realSeries() async throws {
        try #require(FileManager.default.fileExists(atPath: Self.nabFile), "the NAB sample is in ../shared/data/nab")
        let run = try await ChartlyBinary.run(["backtest", "--input", Self.nabFile, "--direction", "both", "--absolute", "0", "--alerts-only"])
        #expect(run.status == 0, "\(run.stderr)")
        let fired = run.stdout.split(separator: "\n").filter { $0.contains(" FIRED ") }
        let summary = try #require(run.stdout.split(separator: "\n").first { $0.hasSuffix("alerts would have been raised:") })
        #expect(!fired.isEmpty && summary.hasPrefix("\(fired.count) alerts"), "\(run.stdout)")
        #expect(run.stdout.contains("7267 points, 100 in the cold start"), "\(run.stdout)")
    }

    @Test("a quiet period out of range is refused with the setting's name")
    func badQuietSeconds() async throws {
        let run = try await ChartlyBinary.run(["backtest", "--corpus", "--quiet-seconds=-5"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("quiet_seconds must be 0...2592000"), "\(run.stderr)")
    }
}
