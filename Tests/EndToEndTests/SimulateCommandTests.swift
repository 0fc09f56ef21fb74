import BudgetTestSupport
import Foundation
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

/// The short version of the load test (issue 8, item 4): the built binary simulates a small fleet of autoscalers
/// for a day against the real service on an accelerated clock, and every bound of the scaling contract holds.
@Suite("chartly-budget simulate: the short load test", .serialized, .timeLimit(.minutes(6)))
struct SimulateCommandTests {
    static let fleet = ["simulate", "--services", "6", "--environments", "2", "--days", "1", "--step-seconds", "300", "--seed", "1"]

    static func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("chartly-simulate-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The figure after "total" in the vetoes block.
    static func totalVetoes(_ stdout: String) -> Int? {
        guard let line = stdout.split(separator: "\n").first(where: { $0.hasPrefix("  total ") }) else { return nil }
        return Int(line.dropFirst("  total ".count).trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: ""))
    }

    /// The report without the line of timings, which is the only part that may differ between two runs.
    static func figures(_ stdout: String) -> String {
        stdout.split(separator: "\n").filter { !$0.hasPrefix("speed:") }.joined(separator: "\n")
    }

    @Test("a day of 6 services in 2 environments: every check passes, vetoes happen, the SVG has a panel per environment, and a seed is the same run")
    func shortSimulation() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = directory + "/first.svg"
        let run = try await ChartlyBinary.run(Self.fleet + ["--output", first])
        #expect(run.status == 0, "exit \(run.status)\nstdout:\n\(run.stdout)\nstderr:\n\(run.stderr)")
        for check in ["(a) spend never above a deny cap", "(b) no replica count outside its policy", "(c) no oscillation", "(d) every veto explained"] {
            #expect(run.stdout.contains("✓ \(check)"), "\(check) not passed:\n\(run.stdout)")
        }
        #expect(!run.stdout.contains("✗"))
        #expect(run.stdout.contains("All 4 checks passed."))
        let vetoes = Self.totalVetoes(run.stdout)
        #expect((vetoes ?? 0) >= 1, "no veto in the run:\n\(run.stdout)")
        #expect(run.stdout.contains("decisions: "))
        #expect(run.stdout.contains("simulated hours per real second"))

        let svg = try Data(contentsOf: URL(fileURLWithPath: first))
        #expect(!String(decoding: svg, as: UTF8.self).contains("<script"))
        #if canImport(FoundationXML) || canImport(Darwin)
        let panels = PanelCounter()
        let parser = XMLParser(data: svg)
        parser.delegate = panels
        #expect(parser.parse(), "not well-formed: \(String(describing: parser.parserError))")
        #expect(panels.root == "svg")
        #expect(panels.environments == ["prod", "staging"])
        #endif

        // The same seed is the same run: the same figures and the same chart, byte for byte.
        let second = directory + "/second.svg"
        let again = try await ChartlyBinary.run(Self.fleet + ["--output", second])
        #expect(again.status == 0)
        #expect(Self.figures(again.stdout).replacingOccurrences(of: second, with: first) == Self.figures(run.stdout))
        #expect(try Data(contentsOf: URL(fileURLWithPath: second)) == svg)
    }
}

#if canImport(FoundationXML) || canImport(Darwin)
/// Counts the chart's panels (`<g class="panel" data-environment="…">`) while parsing it.
final class PanelCounter: NSObject, XMLParserDelegate, @unchecked Sendable {
    var root: String?
    var environments: [String] = []

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        if root == nil { root = name }
        if name == "g", attributes["class"] == "panel", let environment = attributes["data-environment"] { environments.append(environment) }
    }
}
#endif
