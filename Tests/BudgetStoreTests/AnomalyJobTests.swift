import BudgetCore
import BudgetStore
import BudgetTestSupport
import Foundation
import Testing

@Suite("Abnormal growth on stored usage", .timeLimit(.minutes(3)))
struct AnomalyJobTests {
    static let start = Timestamp(rfc3339: "2026-10-01T00:00:00Z")!

    /// `cores` for each hour from `from` (hours after `start`) for `count` hours.
    static func hours(_ service: String, from: Int, count: Int, cores: (Int) -> Double) -> [UsageSample] {
        (from..<(from + count)).map { hour in
            let begin = start + .hours(Int64(hour))
            return UsageSample(environment: "prod", service: service, resource: .cpuCores, quantity: cores(hour), start: begin, end: begin + .hours(1))
        }
    }

    @Test("a sustained step fires once with expected, actual and contributors; the baselines survive a restart; the return resolves it")
    func stepGrowth() async throws {
        let url = try await TestDatabase.make()
        let configuration = AnomalyConfiguration.standard
        let first = BudgetStore(url: url, maximumConnections: 4, acquireTimeout: TestDatabase.acquireTimeout, logger: TestDatabase.testLogger)
        try await first.whileRunning {
            _ = try await first.putRateCard(
                tenant: "acme", effectiveFrom: Self.start - .days(1), currency: Currency("USD")!,
                prices: [.cpuCores: Price(decimalString: "1.00")!], actor: Principal(id: "t", name: "t", scopes: [.admin])
            )
            // Five steady days at 2 cores (2.00/h, with a little daily shape), then 8 hours at 10 cores.
            _ = try await first.ingest(tenant: "acme", samples: Self.hours("api", from: 0, count: 120) { 2 + Double($0 % 24 == 12 ? 1 : 0) / 10 })
            _ = try await first.ingest(tenant: "acme", samples: Self.hours("web", from: 0, count: 128) { _ in 1 })
            _ = try await first.ingest(tenant: "acme", samples: Self.hours("api", from: 120, count: 8) { _ in 10 })
            let after = Self.start + .hours(128) + .minutes(15)
            let raised = try await first.detectAnomalies(now: after, configuration: configuration)
            #expect(raised == 2)  // prod/api and prod as a whole
            let alerts = try await first.alerts(AlertQuery(tenant: "acme", kind: .anomaly))
            let service = try #require(alerts.first { $0.service == "api" })
            #expect(service.summary.hasPrefix("abnormal cost growth in prod/api: 10.00/h against 2.0"), "\(service.summary)")
            #expect(service.summary.contains("most of it: cpu_cores"))
            let environment = try #require(alerts.first { $0.service == nil })
            #expect(environment.summary.contains("most of it: api"), "\(environment.summary)")
            #expect(environment.details.contains(#""contributors""#))
            // Running again at the same time processes nothing new and raises nothing.
            #expect(try await first.detectAnomalies(now: after, configuration: configuration) == 0)
        }
        // A new process (restart): the stored baselines carry on; the return to normal resolves the alerts.
        let second = BudgetStore(url: url, maximumConnections: 4, acquireTimeout: TestDatabase.acquireTimeout, logger: TestDatabase.testLogger)
        try await second.whileRunning {
            _ = try await second.ingest(tenant: "acme", samples: Self.hours("api", from: 128, count: 6) { _ in 2 })
            _ = try await second.ingest(tenant: "acme", samples: Self.hours("web", from: 128, count: 6) { _ in 1 })
            #expect(try await second.detectAnomalies(now: Self.start + .hours(134) + .minutes(15), configuration: configuration) == 0)
            let open = try await second.alerts(AlertQuery(tenant: "acme", state: .firing, kind: .anomaly))
            #expect(open.isEmpty, "\(open.map(\.summary))")
            let state = try #require(try await second.anomalyState(tenant: "acme", environment: "prod"))
            #expect(state.history == 134)
        }
    }

    @Test("no growth alert during the cold start, however large the growth")
    func coldStart() async throws {
        try await TestDatabase.withStore { store in
            _ = try await store.putRateCard(
                tenant: "acme", effectiveFrom: Self.start - .days(1), currency: Currency("USD")!,
                prices: [.cpuCores: Price(decimalString: "1.00")!], actor: Principal(id: "t", name: "t", scopes: [.admin])
            )
            _ = try await store.ingest(tenant: "acme", samples: Self.hours("api", from: 0, count: 30) { $0 < 20 ? 1 : 100 })
            #expect(try await store.detectAnomalies(now: Self.start + .hours(30) + .minutes(15), configuration: .standard) == 0)
            let state = try #require(try await store.anomalyState(tenant: "acme", environment: "prod"))
            #expect(state.history < AnomalyConfiguration.standard.minimumHistory)
        }
    }
}

/// A real series (NAB's exchange-4 cost-per-click, hourly) ingested as hourly cost: the alert job raises its
/// alerts at the hours where the detector, replayed over the same hourly costs, fires.
@Suite("Abnormal growth on a real series", .timeLimit(.minutes(5)),
       .enabled(if: RealSeries.isPresent, "../shared/data/nab is absent: the real-series job test is skipped"))
struct AnomalyJobRealSeriesTests {
    @Test("the job fires where the detector fires")
    func firesWhereTheDetectorFires() async throws {
        let start = Timestamp(rfc3339: "2026-09-01T00:00:00Z")!
        // The first 1,000 hourly rows, as cores at 1.00 per core-hour: 100 × the value per hour. Gaps stay gaps.
        let hours = try RealSeries.hourly(limit: 1_000)
        let samples = hours.map { hour, cores in
            UsageSample(environment: "prod", service: "bids", resource: .cpuCores, quantity: cores,
                        start: start + .hours(Int64(hour)), end: start + .hours(Int64(hour) + 1))
        }
        let last = try #require(hours.last?.hour)
        // What the job sees: each hour from the first through the last, an hour without usage costing 0.
        let costs = Dictionary(uniqueKeysWithValues: hours.map { ($0.hour, Double(Int64(($0.cores * 1e9).rounded())) / 1e9) })
        var state = AnomalyState()
        var fired: [Timestamp] = []
        for hour in 0...last {
            let timestamp = start + .hours(Int64(hour))
            if AnomalyDetector.observe((timestamp, costs[hour] ?? 0), state: &state, configuration: .standard).transition == .fired {
                fired.append(timestamp)
            }
        }
        let expected = fired
        #expect(!expected.isEmpty, "the detector fires on this series")

        try await TestDatabase.withStore { store in
            _ = try await store.putRateCard(
                tenant: "acme", effectiveFrom: start - .days(1), currency: Currency("USD")!,
                prices: [.cpuCores: Price(decimalString: "1.00")!], actor: Principal(id: "t", name: "t", scopes: [.admin])
            )
            for batch in stride(from: 0, to: samples.count, by: 500) {
                _ = try await store.ingest(tenant: "acme", samples: Array(samples[batch..<min(batch + 500, samples.count)]))
            }
            let now = start + .hours(Int64(last) + 1) + .minutes(15)
            _ = try await store.detectAnomalies(now: now, configuration: .standard, maximumHours: last + 48)
            let alerts = try await store.alerts(AlertQuery(tenant: "acme", kind: .anomaly))
            struct Details: Decodable { var since: Timestamp }
            let service = try alerts.filter { $0.service == "bids" }
                .map { try JSONDecoder().decode(Details.self, from: Data($0.details.utf8)).since }.sorted()
            let environment = try alerts.filter { $0.service == nil }
                .map { try JSONDecoder().decode(Details.self, from: Data($0.details.utf8)).since }.sorted()
            #expect(service == expected)
            #expect(environment == expected)  // one service: the environment is the same series
        }
    }
}

enum RealSeries {
    static let file = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/data/nab/data/realAdExchange/exchange-4_cpc_results.csv").standardized.path
    static var isPresent: Bool { FileManager.default.fileExists(atPath: file) }

    /// (hour since the first row, 100 × value rounded to 0.001) for the first `limit` rows.
    static func hourly(limit: Int) throws -> [(hour: Int, cores: Double)] {
        let series = SeriesMerge(try SeriesCSVReader.rows(of: try String(contentsOfFile: file, encoding: .utf8)).get())
        guard let first = series.points.first?.timestamp else { return [] }
        return series.points.prefix(limit).map { point in
            let hour = Int((Double(point.timestamp.microseconds(since: first)) / 3.6e9).rounded())
            return (hour, (point.value * 100 * 1000).rounded() / 1000)
        }
    }
}
