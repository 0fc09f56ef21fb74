import BudgetCore
import BudgetStore
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Status and costs reads for one environment with many services and a month of per-minute usage,
/// against the same answers computed by a plain SQL aggregate over the raw samples.
struct ReadBenchmark {
    let services: Int
    let days: Int
    let repetitions: Int

    struct Figure {
        var name: String
        var service: Latency
        var baseline: Latency
        var matches: Bool
    }

    struct Latency {
        var samples: [Double]
        var p50: Double { percentile(0.5) }
        var p99: Double { percentile(0.99) }

        func percentile(_ p: Double) -> Double {
            let sorted = samples.sorted()
            guard !sorted.isEmpty else { return 0 }
            return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
        }
    }

    static let tenant = "bench-read"
    static let price = "0.04"

    func run(in environment: InProcessService, logger: Logger, progress: (String) -> Void) async throws -> (seedRate: Double, samples: Int, figures: [Figure]) {
        let store = environment.store
        let now = Timestamp.now()
        let end = now.startOfHour
        let start = end - .days(Int64(days))
        let actor = Principal(id: "bench", name: "bench", scopes: [.admin])
        _ = try await store.putRateCard(
            tenant: Self.tenant, effectiveFrom: start - .days(1), currency: Currency("USD")!,
            prices: [.cpuCores: Price(decimalString: Self.price)!], actor: actor
        )

        // Seed through the real ingest path (rollups included), one day of all services per batch group.
        let seedStart = ContinuousClock.now
        let minutes = days * 1440
        let total = minutes * services
        var batch: [UsageSample] = []
        batch.reserveCapacity(10_000)
        var seeded = 0
        for minute in 0..<minutes {
            let sampleStart = start + .minutes(Int64(minute))
            for service in 0..<services {
                // Quantities vary by service and time so sums are not trivially equal.
                let quantity = Double(1 + service % 7) + Double(minute % 60) / 64
                batch.append(UsageSample(environment: "prod", service: "svc-\(service)", resource: .cpuCores, quantity: quantity, start: sampleStart, end: sampleStart + .minutes(1)))
                if batch.count == 10_000 {
                    _ = try await store.ingest(tenant: Self.tenant, samples: batch)
                    seeded += batch.count
                    batch.removeAll(keepingCapacity: true)
                    if seeded % 1_000_000 == 0 { progress("  seeded \(seeded) of \(total) samples") }
                }
            }
        }
        if !batch.isEmpty { _ = try await store.ingest(tenant: Self.tenant, samples: batch) }
        let seedSeconds = (ContinuousClock.now - seedStart).seconds
        try await store.client.perform("VACUUM ANALYZE usage_samples")
        try await store.client.perform("VACUUM ANALYZE cost_hourly")
        try await store.client.perform("VACUUM ANALYZE cost_daily")

        let statusPath = "/v1/tenants/\(Self.tenant)/environments/prod/status"
        let costsPath = "/v1/tenants/\(Self.tenant)/costs?environment=prod&from=\(start.rfc3339)&to=\(end.rfc3339)&step=1d&group_by=service"
        var figures: [Figure] = []

        // Status: the service's answer against SUM over the raw samples of the period so far.
        let period = BillingPeriod.calendarMonth.bounds(containing: now)
        let statusBaseline = """
            SELECT service, sum(round((quantity::numeric * extract(epoch FROM end_at - start_at) / 3600 * \(Self.price))::numeric, 9))
            FROM usage_samples WHERE tenant_id = '\(Self.tenant)' AND environment = 'prod'
              AND start_at >= '\(period.start.rfc3339)' AND start_at < '\(now.rfc3339)'
            GROUP BY service ORDER BY 2 DESC
            """
        let statusService = try await time(repetitions) { try await get(environment, statusPath) }
        let statusRaw = try await time(max(3, repetitions / 10)) { try await sqlTotal(store, statusBaseline, columns: "service, total") }
        let statusAnswer = try JSONDecoder().decode(StatusTotals.self, from: Data(try await get(environment, statusPath).utf8))
        let statusRawTotal = try await sqlTotal(store, statusBaseline, columns: "service, total")
        figures.append(Figure(name: "status", service: statusService, baseline: statusRaw, matches: Money(decimalString: statusAnswer.spend_so_far) == statusRawTotal))

        // Costs: 30 daily points per service against the same GROUP BY over the raw samples.
        let costsBaseline = """
            SELECT date_trunc('day', start_at, 'UTC'), service,
                   sum(round((quantity::numeric * extract(epoch FROM end_at - start_at) / 3600 * \(Self.price))::numeric, 9))
            FROM usage_samples WHERE tenant_id = '\(Self.tenant)' AND environment = 'prod'
              AND start_at >= '\(start.rfc3339)' AND start_at < '\(end.rfc3339)'
            GROUP BY 1, 2
            """
        let costsService = try await time(repetitions) { try await get(environment, costsPath) }
        let costsRaw = try await time(max(3, repetitions / 10)) { try await sqlTotal(store, costsBaseline, columns: "day, service, total") }
        let costsAnswer = try JSONDecoder().decode(CostTotals.self, from: Data(try await get(environment, costsPath).utf8))
        let costsRawTotal = try await sqlTotal(store, costsBaseline, columns: "day, service, total")
        figures.append(Figure(name: "costs", service: costsService, baseline: costsRaw, matches: Money(decimalString: costsAnswer.total) == costsRawTotal))
        return (Double(total) / seedSeconds, total, figures)
    }

    struct StatusTotals: Decodable { var spend_so_far: String }
    struct CostTotals: Decodable { var total: String }

    private func time(_ count: Int, _ body: () async throws -> some Any) async throws -> Latency {
        _ = try await body()  // warm caches and connections
        var samples: [Double] = []
        for _ in 0..<count {
            let start = ContinuousClock.now
            _ = try await body()
            samples.append((ContinuousClock.now - start).seconds * 1000)
        }
        return Latency(samples: samples)
    }

    private func get(_ environment: InProcessService, _ path: String) async throws -> String {
        String(buffer: try await environment.client.get(path, token: environment.token).ok("GET \(path)"))
    }

    /// Runs `sql` and sums its last (money) column exactly, in SQL, as `Money`.
    private func sqlTotal(_ store: BudgetStore, _ sql: String, columns: String) async throws -> Money {
        let rows = try await store.client.query(PostgresQuery(unsafeSQL: "SELECT coalesce(sum(total), 0)::text FROM (\(sql)) AS t(\(columns))"))
        for try await text in rows.decode(String.self) {
            return Money(decimalString: text) ?? .zero
        }
        return .zero
    }
}
