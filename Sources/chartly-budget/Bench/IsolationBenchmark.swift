import BudgetCore
import BudgetStore
import Foundation
import Logging
import NIOCore
import Synchronization

/// The contract's multi-tenant isolation invariant, measured: tenant B's reads, decisions and writes alone,
/// then again beside tenant A holding 100 times B's data and sending 100 times B's ingest traffic.
struct IsolationBenchmark {
    /// B's shape; A has `factor` times as many services, hence as much data and ingest.
    let services: Int
    let days: Int
    let iterations: Int
    let factor = 100
    /// A's ingest limit in the last phase, in multiples of B's rate.
    let cappedFactor = 10
    /// B's ingest during the measurement: one request of `bBatch` samples per iteration, `iterationsPerSecond` a second.
    let bBatch = 10
    let iterationsPerSecond = 10.0

    /// Each phase's sequence numbers: B's ingest minutes (two days of them, 2,880, for four phases) and replica
    /// counts never repeat between phases, so no phase re-sends another's samples.
    var phaseStride: Int { iterations + 3 }

    static let tenantA = "bench-tenant-a"
    static let tenantB = "bench-tenant-b"

    struct Operation {
        var name: String
        var alone: ReadBenchmark.Latency
        /// Beside A's data, A idle.
        var besideData: ReadBenchmark.Latency
        /// Beside A's data and A's ingest traffic.
        var beside: ReadBenchmark.Latency
        var besideCapped: ReadBenchmark.Latency
    }

    struct Result {
        var bSamples: Int
        var aSamples: Int
        /// A's samples per second sent and accepted beside B, then the same with A capped at `capRate`.
        var aOffered: Double
        var aAccepted: Double
        var aCappedOffered: Double
        var aCappedAccepted: Double
        var capRate: Double
        var bIngestRate: Double
        var operations: [Operation]
    }

    func run(in environment: InProcessService, logger: Logger, progress: (String) -> Void) async throws -> Result {
        let store = environment.store
        let now = Timestamp.now()
        let actor = Principal(id: "bench", name: "bench", scopes: [.admin])
        for tenant in [Self.tenantA, Self.tenantB] {
            _ = try await store.putRateCard(
                tenant: tenant, effectiveFrom: now - .days(Int64(days + 2)), currency: Currency("USD")!,
                prices: [.cpuCores: Price(decimalString: "0.04")!], actor: actor
            )
            _ = try await store.putConfig(
                tenant: tenant, Cap(name: "prod-cap", environment: "prod", periodSpend: Money(decimalString: "900000000")!, hourlyRunRate: Money(decimalString: "9000000")!),
                actor: actor
            )
            _ = try await store.putConfig(
                tenant: tenant, ScalingPolicy(environment: "prod", service: "svc-0", minimumReplicas: 1, maximumReplicas: 10_000_000, scaleUp: .init(cooldownSeconds: 0)),
                actor: actor
            )
        }
        let bSamples = try await seed(store, tenant: Self.tenantB, services: services, now: now)
        progress("  seeded tenant B: \(bSamples) samples")
        // Steady state, not the aftermath of seeding: statistics fresh, visibility map set, dirty pages written.
        try await settle(store)
        let alone = try await measure(environment, now: now)

        let aSamples = try await seed(store, tenant: Self.tenantA, services: services * factor, now: now)
        progress("  seeded tenant A: \(aSamples) samples")
        try await settle(store)
        let besideData = try await measure(environment, now: now, sequenceOffset: phaseStride)
        // A's traffic: `factor` times B's samples per second, in batches of 1,000, paced, for as long as B is measured.
        let aRate = Double(bBatch) * iterationsPerSecond * Double(factor)
        let open = try await besideTraffic(environment, now: now, aRate: aRate, firstMinute: 0, sequenceOffset: 2 * phaseStride)
        // The same offered traffic with A held to `cappedFactor` times B's rate by the service's per-tenant ingest limit.
        let capRate = Double(bBatch) * iterationsPerSecond * Double(cappedFactor)
        environment.tenantIngest.set(rate: capRate, burst: 1_000)
        let capped = try await besideTraffic(
            environment, now: now, aRate: aRate, firstMinute: open.nextMinute, sequenceOffset: 3 * phaseStride
        )
        environment.tenantIngest.set(rate: 0, burst: 1)
        let names = ["status", "costs", "decision", "ingest"]
        let operations = names.indices.map {
            Operation(name: names[$0], alone: alone[$0], besideData: besideData[$0], beside: open.figures[$0], besideCapped: capped.figures[$0])
        }
        return Result(
            bSamples: bSamples, aSamples: aSamples, aOffered: open.offered, aAccepted: open.accepted,
            aCappedOffered: capped.offered, aCappedAccepted: capped.accepted, capRate: capRate,
            bIngestRate: Double(bBatch) * iterationsPerSecond, operations: operations
        )
    }

    struct Traffic {
        var figures: [ReadBenchmark.Latency]
        /// A's samples per second sent (requests refused for its ingest limit included) and stored.
        var offered: Double
        var accepted: Double
        var nextMinute: Int64
    }

    /// B measured while A sends `aRate` samples per second; a refused batch (429) is sent again after its
    /// Retry-After, as a well-behaved client would, and counts as offered only.
    private func besideTraffic(
        _ environment: InProcessService, now: Timestamp, aRate: Double, firstMinute: Int64, sequenceOffset: Int
    ) async throws -> Traffic {
        let stop = SharedCounter()
        let services = self.services, factor = self.factor
        return try await withThrowingTaskGroup(of: Traffic.self) { group in
            group.addTask {
                let start = ContinuousClock.now
                let perRequest = 1_000
                var minute = firstMinute
                var offered = 0
                var accepted = 0
                var retryAt: ContinuousClock.Instant?
                while stop.value == 0 {
                    let due = start + .milliseconds(Int64(Double(offered + perRequest) / aRate * 1000))
                    if ContinuousClock.now < due { try await Task.sleep(until: due) }
                    offered += perRequest
                    if let retryAt, ContinuousClock.now < retryAt { continue }  // still waiting out a 429: not sent
                    let body = Self.ingestBody(tenantServices: services * factor, count: perRequest, minute: minute, now: now, environment: "live")
                    if let wait = try await Self.postAllowingLimit(environment, "/v1/tenants/\(Self.tenantA)/usage", body: body) {
                        retryAt = ContinuousClock.now + .seconds(wait)
                    } else {
                        retryAt = nil
                        minute += 1
                        accepted += perRequest
                    }
                }
                let seconds = max((ContinuousClock.now - start).seconds, 0.001)
                return Traffic(figures: [], offered: Double(offered) / seconds, accepted: Double(accepted) / seconds, nextMinute: minute)
            }
            group.addTask {
                try await Task.sleep(for: .seconds(1))  // A's traffic is flowing
                let figures = try await measure(environment, now: now, sequenceOffset: sequenceOffset)
                stop.set(1)
                return Traffic(figures: figures, offered: 0, accepted: 0, nextMinute: 0)
            }
            var result = Traffic(figures: [], offered: 0, accepted: 0, nextMinute: 0)
            for try await part in group {
                if part.figures.isEmpty {
                    (result.offered, result.accepted, result.nextMinute) = (part.offered, part.accepted, part.nextMinute)
                } else {
                    result.figures = part.figures
                }
            }
            return result
        }
    }

    private func settle(_ store: BudgetStore) async throws {
        try await store.client.perform("VACUUM ANALYZE")
        try await store.client.perform("CHECKPOINT")
    }

    /// `days` of 5-minute samples for `services` services through the real ingest path (rollups included).
    private func seed(_ store: BudgetStore, tenant: String, services: Int, now: Timestamp) async throws -> Int {
        let end = now.startOfHour
        let start = end - .days(Int64(days))
        var batch: [UsageSample] = []
        batch.reserveCapacity(10_000)
        var total = 0
        var at = start
        while at < end {
            for service in 0..<services {
                batch.append(UsageSample(
                    environment: "prod", service: "svc-\(service)", resource: .cpuCores,
                    quantity: Double(1 + service % 5), start: at, end: at + .minutes(5)
                ))
                if batch.count == 10_000 {
                    _ = try await store.ingest(tenant: tenant, samples: batch)
                    total += batch.count
                    batch.removeAll(keepingCapacity: true)
                }
            }
            at = at + .minutes(5)
        }
        if !batch.isEmpty {
            _ = try await store.ingest(tenant: tenant, samples: batch)
            total += batch.count
        }
        return total
    }

    /// B's operations, each timed, `iterations` times at `iterationsPerSecond` on average: status, costs, a decision, an ingest.
    private func measure(_ environment: InProcessService, now: Timestamp, sequenceOffset: Int = 0) async throws -> [ReadBenchmark.Latency] {
        let tenant = Self.tenantB
        let statusPath = "/v1/tenants/\(tenant)/environments/prod/status"
        let costsPath = "/v1/tenants/\(tenant)/costs?environment=prod&step=1d&group_by=service&from=\((now - .days(Int64(days))).rfc3339)&to=\(now.rfc3339)"
        var samples: [[Double]] = [[], [], [], []]
        // Rounds arrive at random (exponential gaps, `iterationsPerSecond` on average), not every 100 ms: A's
        // batches come every 100 ms, and rounds on the same beat would meet them always or never, depending
        // on where the two clocks happen to fall. Seeded per phase, so each run draws the same gaps.
        var generator = SeededGenerator(seed: UInt64(sequenceOffset) &+ 0x15_0_1A7E)
        var due = ContinuousClock.now
        for iteration in -3..<iterations {
            if ContinuousClock.now < due { try await Task.sleep(until: due) }
            due = due + .microseconds(Int64(-log(1 - generator.unit()) / iterationsPerSecond * 1_000_000))
            let sequence = sequenceOffset + iteration + 3
            let operations: [@Sendable () async throws -> Void] = [
                { try await Self.get(environment, statusPath) },
                { try await Self.get(environment, costsPath) },
                {
                    // An autoscaler that got its last scale-up: it now runs that many and asks for one more, which
                    // confirms the previous reservation. (Asking 2 → 3 again and again would leave every reservation
                    // unconfirmed, and each later phase would sweep more of them than the one before.)
                    let body = #"{"request_id":"iso-\#(sequence)","environment":"prod","service":"svc-0","current_replicas":\#(2 + sequence),"desired_replicas":\#(3 + sequence),"per_replica":{"cpu_cores":2},"signals":[{"name":"cpu_utilization","value":0.9}]}"#
                    try await Self.post(environment, "/v1/tenants/\(tenant)/decisions", body: ByteBuffer(string: body))
                },
                {
                    // New minutes of B's usage, after its seeded history (late minutes of the current hour).
                    let body = Self.ingestBody(tenantServices: self.services, count: self.bBatch, minute: Int64(sequence), now: now, environment: "live")
                    try await Self.post(environment, "/v1/tenants/\(tenant)/usage", body: body)
                },
            ]
            for (index, operation) in operations.enumerated() {
                let began = ContinuousClock.now
                try await operation()
                if iteration >= 0 { samples[index].append((ContinuousClock.now - began).seconds * 1000) }
            }
        }
        return samples.map { ReadBenchmark.Latency(samples: $0) }
    }

    /// `count` one-minute samples spread over the tenant's services, at a minute no earlier request used.
    static func ingestBody(tenantServices: Int, count: Int, minute: Int64, now: Timestamp, environment: String) -> ByteBuffer {
        // Cheap to build (A's bodies are built while B is measured): each distinct instant is formatted once.
        var formatted: [Timestamp: (start: String, end: String)] = [:]
        var buffer = ByteBuffer()
        buffer.reserveCapacity(count * 160)
        buffer.writeString(#"{"samples":["#)
        for index in 0..<count {
            let global = Int(minute) * count + index
            let service = global % tenantServices
            let at = now.startOfHour - .minutes(Int64(global / tenantServices) % (2 * 24 * 60)) - .hours(24)
            let text = formatted[at] ?? {
                let text = (start: at.rfc3339, end: (at + .minutes(1)).rfc3339)
                formatted[at] = text
                return text
            }()
            if index > 0 { buffer.writeString(",") }
            buffer.writeString(#"{"environment":"\#(environment)","service":"svc-\#(service)","resource":"cpu_cores","quantity":1.5,"start":"\#(text.start)","end":"\#(text.end)"}"#)
        }
        buffer.writeString("]}")
        return buffer
    }

    static func get(_ environment: InProcessService, _ path: String) async throws {
        _ = try await environment.client.get(path, token: environment.token).ok("GET \(path)")
    }

    /// POSTs `body`; nil when it was accepted, the Retry-After seconds when refused for the tenant's ingest limit.
    static func postAllowingLimit(_ environment: InProcessService, _ path: String, body: ByteBuffer) async throws -> Int64? {
        let response = try await environment.client.post(path, token: environment.token, body: body)
        if response.status == .tooManyRequests { return Int64(response.headers.first(name: "Retry-After") ?? "") ?? 1 }
        _ = try response.ok("POST \(path)")
        return nil
    }

    static func post(_ environment: InProcessService, _ path: String, body: ByteBuffer) async throws {
        if let wait = try await postAllowingLimit(environment, path, body: body) {
            throw ClientFailure("POST \(path) answered 429 (the tenant's ingest limit): retry after \(wait) s")
        }
    }
}

/// An integer shared between the load generator and the measuring task.
final class SharedCounter: Sendable {
    private let storage = Atomic<Int>(0)
    var value: Int { storage.load(ordering: .relaxed) }
    func set(_ value: Int) { storage.store(value, ordering: .relaxed) }
}

/// The process's resident memory from /proc/self/status (Linux): now, and the peak so far.
enum ProcessMemory {
    static func figures() -> (residentMiB: Double, peakMiB: Double)? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        func value(_ key: String) -> Double? {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return nil }
            return line.split(separator: " ").compactMap { Double($0) }.first.map { $0 / 1024 }
        }
        guard let resident = value("VmRSS"), let peak = value("VmHWM") else { return nil }
        return (resident, peak)
    }
}
