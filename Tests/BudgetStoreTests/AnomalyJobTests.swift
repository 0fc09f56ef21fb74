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
