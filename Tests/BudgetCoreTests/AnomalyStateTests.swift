import Foundation
import Testing
import BudgetCore

@Suite struct AnomalyStateTests {
    /// Feeds `points` in one go, and again with the state stored as JSON and read back at every `every`th point.
    private func compareWithRestarts(_ points: [(timestamp: Timestamp, value: Double)], every: Int,
                                     configuration: AnomalyConfiguration = .standard) throws {
        var straight = AnomalyState()
        let expected = points.map { AnomalyDetector.observe($0, state: &straight, configuration: configuration) }
        var restarted = AnomalyState()
        var actual: [AnomalyAssessment] = []
        for (index, point) in points.enumerated() {
            if index % every == 0 {
                let data = try JSONEncoder().encode(restarted)
                let decoded = try JSONDecoder().decode(AnomalyState.self, from: data)
                #expect(decoded == restarted)
                restarted = decoded
            }
            actual.append(AnomalyDetector.observe(point, state: &restarted, configuration: configuration))
        }
        #expect(actual == expected)
        #expect(restarted == straight)
    }

    @Test(arguments: SyntheticSeries.Kind.allCases)
    func aRestartHalfWayChangesNothing(kind: SyntheticSeries.Kind) throws {
        let points = SyntheticSeries.generate(kind, seed: 3).points
        try compareWithRestarts(points, every: points.count / 2)
    }

    @Test func restartsEveryFewIntervalsChangeNothingEitherWay() throws {
        var both = AnomalyConfiguration.standard
        both.direction = .both
        try compareWithRestarts(SyntheticSeries.generate(.step, seed: 5).points, every: 7, configuration: both)
        try compareWithRestarts(SyntheticSeries.generate(.newService, seed: 1).points, every: 13)
    }

    @Test func staysSmall() throws {
        var largest = 0
        for kind in SyntheticSeries.Kind.allCases {
            var state = AnomalyState()
            for point in SyntheticSeries.generate(kind, seed: 2).points {
                _ = AnomalyDetector.observe(point, state: &state, configuration: .standard)
            }
            largest = max(largest, try JSONEncoder().encode(state).count)
        }
        print("largest state after 35 days of hourly cost: \(largest) bytes")
        // 1,000 residuals, 30 values, 3 days (72 points) and the range test's 840 values (35 days): about 40 KB.
        #expect(largest < 48_000, "the largest state is \(largest) bytes")
    }

    @Test func refusesAnotherVersionAndBrokenDocuments() throws {
        var state = AnomalyState()
        for point in SyntheticSeries.generate(.daily, seed: 1).points.prefix(100) {
            _ = AnomalyDetector.observe(point, state: &state, configuration: .standard)
        }
        let json = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
        #expect(json.contains("\"version\":4"))
        for broken in [
            // A document of the previous format (issue #20's third pass) is refused: the series starts cold.
            json.replacingOccurrences(of: "\"version\":4", with: "\"version\":3"),
            json.replacingOccurrences(of: "\"runs\":[", with: "\"runs\":[{\"end\":0,\"length\":0},"),
            json.replacingOccurrences(of: "\"history\":100", with: "\"history\":-1"),
            json.replacingOccurrences(of: "\"day_values\":[", with: "\"day_values\":[1,"),
        ] {
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(AnomalyState.self, from: Data(broken.utf8)) }
        }
    }
}

@Suite struct AnomalyConfigurationTests {
    @Test func defaultsAreTheDocumentedOnes() {
        let standard = AnomalyConfiguration.standard
        #expect(standard.relativeThreshold == 0)
        #expect(standard.absoluteThreshold == Money(decimalString: "1.00"))
        #expect(standard.sustainedIntervals == 2 && standard.minimumHistory == 100 && standard.quietIntervals == 50)
        #expect(standard.direction == .up && standard.intervalSeconds == 3600)
        #expect(standard.problem == nil)
    }

    @Test func decodesSnakeCaseWithDefaultsForMissingKeys() throws {
        let json = #"{"relative_threshold":0.8,"absolute_threshold":"2.50","sustained_intervals":4,"direction":"both"}"#
        let configuration = try JSONDecoder().decode(AnomalyConfiguration.self, from: Data(json.utf8))
        #expect(configuration.relativeThreshold == 0.8 && configuration.absoluteThreshold == Money(nanos: 2_500_000_000))
        #expect(configuration.sustainedIntervals == 4 && configuration.direction == .both)
        #expect(configuration.minimumHistory == 100 && configuration.intervalSeconds == 3600)
        let encoded = String(decoding: try JSONEncoder().encode(configuration), as: UTF8.self)
        #expect(encoded.contains("\"minimum_history\":100") && encoded.contains("\"absolute_threshold\":\"2.50\""))
        #expect(try JSONDecoder().decode(AnomalyConfiguration.self, from: Data(encoded.utf8)) == configuration)
    }

    private static func changed(_ change: (inout AnomalyConfiguration) -> Void) -> AnomalyConfiguration {
        var configuration = AnomalyConfiguration.standard
        change(&configuration)
        return configuration
    }

    @Test(arguments: [
        ("relative_threshold", changed { $0.relativeThreshold = -0.1 }),
        ("relative_threshold", changed { $0.relativeThreshold = .nan }),
        ("relative_threshold", changed { $0.direction = .down; $0.relativeThreshold = 1 }),
        ("absolute_threshold", changed { $0.absoluteThreshold = Money(nanos: -1) }),
        ("sustained_intervals", changed { $0.sustainedIntervals = 0 }),
        ("minimum_history", changed { $0.minimumHistory = -1 }),
        ("quiet_intervals", changed { $0.quietIntervals = -1 }),
        ("interval_seconds", changed { $0.intervalSeconds = 0 }),
        ("interval_seconds", changed { $0.intervalSeconds = 700_000 }),
    ])
    func namesTheFieldToFix(field: String, configuration: AnomalyConfiguration) {
        #expect(configuration.problem?.field == field)
    }
}
