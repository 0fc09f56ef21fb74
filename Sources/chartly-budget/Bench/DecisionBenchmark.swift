import BudgetCore
import BudgetStore
import Foundation
import Histogram
import Logging
import NIOCore
import PostgresNIO

/// Decisions per second and latency at several concurrencies, spread over many environments or all on one
/// hot environment, beside the raw SQL of the same locking transaction run directly against PostgreSQL.
struct DecisionBenchmark {
    let clientCounts: [Int]
    let seconds: Double
    let environments: Int

    struct Figure: Sendable {
        var clients: Int
        var layout: String
        var path: String
        var rate: Double
        var p50: Double
        var p99: Double
    }

    static let tenant = "bench-decide"

    func prepare(_ store: BudgetStore) async throws {
        let actor = Principal(id: "bench", name: "bench", scopes: [.admin])
        _ = try await store.putRateCard(
            tenant: Self.tenant, effectiveFrom: Timestamp(rfc3339: "2020-01-01T00:00:00Z")!, currency: Currency("USD")!,
            prices: [.cpuCores: Price(decimalString: "0.05")!, .memoryGiB: Price(decimalString: "0.005")!], actor: actor
        )
        for index in 0...environments {
            let environment = index == environments ? "hot" : "env-\(index)"
            // Caps far above what the run adds, so every request takes the full path and is approved.
            _ = try await store.putConfig(
                tenant: Self.tenant,
                Cap(name: "\(environment)-cap", environment: environment, periodSpend: Money(decimalString: "900000000")!, hourlyRunRate: Money(decimalString: "9000000")!),
                actor: actor
            )
            for service in 0..<4 {
                _ = try await store.putConfig(
                    tenant: Self.tenant,
                    ScalingPolicy(environment: environment, service: "svc-\(service)", minimumReplicas: 1, maximumReplicas: 10_000_000, scaleUp: .init(cooldownSeconds: 0)),
                    actor: actor
                )
            }
        }
    }

    /// Each figure and its baseline are measured in turns (service, raw, service, raw, …), `rounds` slices each,
    /// so that a slow spell of the shared machine falls on both rather than on one.
    let rounds = 3

    func run(in environment: InProcessService, logger: Logger) async throws -> [Figure] {
        try await prepare(environment.store)
        var figures: [Figure] = []
        for layout in ["spread", "hot"] {
            for clients in clientCounts {
                let service: @Sendable (Int, Int) async throws -> Void = { client, sequence in
                    try await decide(environment, client: client, sequence: sequence, layout: layout)
                }
                let raw: @Sendable (Int, Int) async throws -> Void = { client, sequence in
                    try await rawTransaction(environment.store, client: client, sequence: sequence, layout: layout, logger: logger)
                }
                // Warm up connections and plans.
                for index in 0..<clients {
                    try await service(index, -1 - index)
                    try await raw(index, -1 - index)
                }
                var serviceTally = Tally(), rawTally = Tally()
                for round in 0..<rounds {
                    serviceTally.add(try await slice(clients: clients, firstSequence: round * 1_000_000, service))
                    rawTally.add(try await slice(clients: clients, firstSequence: round * 1_000_000, raw))
                }
                figures.append(serviceTally.figure(clients: clients, layout: layout, path: "service"))
                figures.append(rawTally.figure(clients: clients, layout: layout, path: "raw SQL"))
            }
        }
        return figures
    }

    /// Latencies (µs) and how many operations completed over how long, summed over slices.
    struct Tally {
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var count: UInt64 = 0
        var seconds: Double = 0

        mutating func add(_ other: Tally) {
            histogram.add(other.histogram)
            count += other.count
            seconds += other.seconds
        }

        func figure(clients: Int, layout: String, path: String) -> Figure {
            Figure(
                clients: clients, layout: layout, path: path, rate: Double(count) / seconds,
                p50: Double(histogram.valueAtPercentile(50)) / 1000, p99: Double(histogram.valueAtPercentile(99)) / 1000
            )
        }
    }

    private func environmentName(client: Int, sequence: Int, layout: String) -> String {
        layout == "hot" ? "hot" : "env-\((client * 7919 + sequence) % environments)"
    }

    private func decide(_ environment: InProcessService, client: Int, sequence: Int, layout: String) async throws {
        let name = environmentName(client: client, sequence: sequence, layout: layout)
        let body = #"{"request_id":"\#(layout)-\#(client)-\#(sequence)-\#(UInt32.random(in: 0...UInt32.max))","environment":"\#(name)","service":"svc-\#(sequence % 4)","current_replicas":2,"desired_replicas":3,"per_replica":{"cpu_cores":2,"memory_gib":4},"signals":[{"name":"cpu_utilization","value":0.9}]}"#
        _ = try await environment.client.post("/v1/tenants/\(Self.tenant)/decisions", token: environment.token, body: ByteBuffer(string: body)).ok("decision")
    }

    /// The decision's locking core as bare SQL: lock the environment's row, read the reserved total, insert the
    /// reservation, add it to the total, commit.
    private func rawTransaction(_ store: BudgetStore, client: Int, sequence: Int, layout: String, logger: Logger) async throws {
        let name = "raw-" + environmentName(client: client, sequence: sequence, layout: layout)
        let tenant = Self.tenant
        try await store.client.withConnection { connection in
            try await connection.perform("BEGIN", logger: logger)
            try await connection.perform(
                "INSERT INTO environment_state (tenant_id, environment) VALUES (\(tenant), \(name)) ON CONFLICT (tenant_id, environment) DO UPDATE SET tenant_id = excluded.tenant_id",
                logger: logger
            )
            let rows = try await connection.query(
                "SELECT reserved_rate_nanos FROM environment_state WHERE tenant_id = \(tenant) AND environment = \(name) FOR UPDATE", logger: logger
            )
            for try await _ in rows.decode(Int64.self) {}
            let now = Timestamp.now()
            try await connection.perform(
                """
                INSERT INTO reservations (tenant_id, decision_id, environment, service, replicas, target_replicas, rate_nanos, cpu_cores, memory_gib, created_at, expires_at)
                VALUES (\(tenant), \(UUID()), \(name), 'svc', 1, 3, 120000000, 2, 4, \(now), \(now + .minutes(15)))
                """,
                logger: logger
            )
            try await connection.perform(
                "UPDATE environment_state SET reserved_rate_nanos = reserved_rate_nanos + 120000000 WHERE tenant_id = \(tenant) AND environment = \(name)",
                logger: logger
            )
            try await connection.perform("COMMIT", logger: logger)
        }
    }

    /// `clients` loops of `operation` for `seconds ÷ rounds`.
    private func slice(clients: Int, firstSequence: Int, _ operation: @escaping @Sendable (Int, Int) async throws -> Void) async throws -> Tally {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000 / Double(rounds)))
        let start = ContinuousClock.now
        let tallies = try await withThrowingTaskGroup(of: Tally.self) { group in
            for client in 0..<clients {
                group.addTask {
                    var tally = Tally()
                    var sequence = firstSequence
                    while ContinuousClock.now < deadline {
                        let began = ContinuousClock.now
                        try await operation(client, sequence)
                        let elapsed = ContinuousClock.now - began
                        _ = tally.histogram.record(UInt64(max(1, elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000)))
                        tally.count += 1
                        sequence += 1
                    }
                    return tally
                }
            }
            return try await group.reduce(into: Tally()) { $0.add($1) }
        }
        var total = tallies
        total.seconds = (ContinuousClock.now - start).seconds
        return total
    }
}
