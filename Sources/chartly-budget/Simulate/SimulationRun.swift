import BudgetCore
import BudgetStore
import Foundation
import Synchronization

/// The process clock the simulator drives: the whole service reads it through `Timestamp.now()`.
final class SimulatedClock: Sendable {
    private let current: Mutex<Timestamp>

    init(_ start: Timestamp) {
        current = Mutex(start)
    }

    var now: Timestamp { current.withLock { $0 } }

    /// Moves the clock, and installs a fresh closure as the service's clock (see `install`).
    func set(_ time: Timestamp) {
        current.withLock { $0 = time }
        install()
    }

    /// Makes this the service's clock until `restore()`.
    ///
    /// Installed again at every tick: `Timestamp.now()` reads the closure out of its `Mutex` through an `inout`
    /// access, which wraps the stored closure in one more reabstraction thunk on every call, so each read gets
    /// slower than the last (and the chain would eventually overflow the stack). A fresh closure per tick keeps
    /// the chain as short as one tick's reads.
    func install() {
        WallClock.simulate { [self] in self.now }
    }

    static func restore() {
        WallClock.simulate(nil)
    }
}

/// One answered decision request, as the simulator keeps it.
struct DecisionRecord: Sendable {
    enum Outcome: String, Sendable { case allow, clamp, deny }

    var tick: Int
    var service: Int
    var current: Int
    var desired: Int
    var outcome: Outcome
    var allowed: Int
    var reasonCodes: [String]
    /// At least one reason, and every reason has a message.
    var explained: Bool
    var isScaleUp: Bool { desired > current }
    var approved: Bool { outcome != .deny && allowed != current }
    var isCostVeto: Bool {
        isScaleUp && outcome != .allow && reasonCodes.contains { $0.hasPrefix("cap_") || $0 == "budget_forecast" || $0 == "unpriced" }
    }
}

/// The answer of `POST …/decisions`, as far as the simulator reads it.
struct DecisionAnswer: Decodable, Sendable {
    struct Reason: Decodable, Sendable {
        var code: String
        var message: String
        var enforcement: String?
    }
    var outcome: String
    var allowedReplicas: Int
    var reasons: [Reason]
    /// The answer's JSON text, for the decision log.
    var raw = ""

    enum CodingKeys: String, CodingKey {
        case outcome, reasons
        case allowedReplicas = "allowed_replicas"
    }
}

/// Everything the run produced, for the checks and the chart.
struct SimulationResult: Sendable {
    var records: [DecisionRecord]
    /// Per environment and tick: replicas running after the tick's decisions, and what the autoscalers wanted.
    var running: [[Int]]
    var wanted: [[Int]]
    /// Replica counts outside the policy's [min, max], with where they happened.
    var boundViolations: [String]
    var boundObservations: Int
    /// Requests the autoscalers sent outside their policy's bounds (misconfigured on purpose).
    var askedAboveMaximum: Int
    var askedBelowMinimum: Int
    /// Per reason code, the first message seen.
    var sampleMessages: [String: String]
    var loopSeconds: Double
    var requests: Int
    var retries: Int
}

/// Drives the fleet tick by tick against the real service: usage for the tick just ended, then one decision
/// request per service whose autoscaler wants another replica count, then the answers applied.
///
/// Deterministic for a seed: the clock stands still during a tick; in each environment the scale-ups (which
/// share its headroom) are sent one after another in service order, while scale-downs (policy only, no
/// reservation) and other environments run beside them, at most `concurrency` requests in flight.
struct SimulationRun {
    let fleet: SimulationFleet
    let api: SimulationAPI
    let clock: SimulatedClock
    let concurrency: Int
    /// Where each request and its answer go, one JSON line each (`--decisions-log`), or nil.
    let decisionLog: FileHandle?
    let progress: @Sendable (String) -> Void

    static let warmUp = TimeSpan.hours(2)

    /// Tenant settings, rate card, caps and policies through the public API, as an operator would.
    func configure() async throws {
        let tenant = "/v1/tenants/\(SimulationFleet.tenant)"
        try await api.expect(.PUT, "\(tenant)/settings", body: #"{"period":"\#(fleet.period.rawValue)"}"#)
        let effective = (fleet.start - .days(1)).startOfDay
        try await api.expect(
            .PUT, "\(tenant)/rate-card",
            body: #"{"currency":"USD","effective_from":"\#(effective.rfc3339)","prices":{"cpu_cores":"\#(SimulationFleet.cpuPrice)","memory_gib":"\#(SimulationFleet.memoryPrice)"}}"#
        )
        for environment in fleet.environments {
            try await api.expect(
                .PUT, "\(tenant)/environments/\(environment.name)/cap",
                body: #"{"name":"\#(environment.capName)","enforcement":"deny","period_spend":"\#(environment.periodCap.decimalString)","hourly_run_rate":"\#(environment.hourlyCap.decimalString)"}"#
            )
        }
        for service in fleet.services {
            let environment = fleet.environments[service.environment].name
            try await api.expect(.PUT, "\(tenant)/environments/\(environment)/services/\(service.name)/policy", body: service.policy.json)
        }
    }

    /// Per-service state of the simulated workload and its autoscaler.
    struct Workload {
        var replicas: Int
        var backlog = 0.0
        var utilization = 0.0
        var errorRate = 0.001
    }

    func run() async throws -> SimulationResult {
        var workloads = fleet.services.map { Workload(replicas: $0.policy.minimum) }
        let ticks = fleet.ticks
        let environmentCount = fleet.environments.count
        var result = SimulationResult(
            records: [], running: Array(repeating: [], count: environmentCount), wanted: Array(repeating: [], count: environmentCount),
            boundViolations: [], boundObservations: 0, askedAboveMaximum: 0, askedBelowMinimum: 0, sampleMessages: [:],
            loopSeconds: 0, requests: 0, retries: 0
        )
        for environment in 0..<environmentCount {
            result.running[environment].reserveCapacity(ticks)
            result.wanted[environment].reserveCapacity(ticks)
        }
        let began = ContinuousClock.now

        // The fleet ran at its floor before the simulation: two hours of usage, so the run rate knows it.
        clock.set(fleet.start)
        try await ingest(from: fleet.start - Self.warmUp, to: fleet.start, replicas: workloads.map(\.replicas))

        let ticksPerDay = max(1, 86_400 / fleet.stepSeconds)
        var dayStarted = ContinuousClock.now
        var dayDecisions = 0
        for tick in 0..<ticks {
            let now = fleet.time(ofTick: tick)
            clock.set(now)
            if tick > 0 {
                // The tick that just ended: usage at the replicas that ran, and the queue it left.
                try await ingest(from: fleet.time(ofTick: tick - 1), to: now, replicas: workloads.map(\.replicas))
                for index in workloads.indices {
                    advance(&workloads[index], service: fleet.services[index], load: fleet.loads[index][tick - 1])
                }
            }
            var requests: [PendingDecision] = []
            var wanted = [Int](repeating: 0, count: environmentCount)
            for service in fleet.services {
                let workload = workloads[service.index]
                let measured = fleet.loads[service.index][max(0, tick - 1)]
                let desired = service.desired(load: measured, backlog: workload.backlog, current: workload.replicas)
                wanted[service.environment] += desired
                guard desired != workload.replicas else { continue }
                if desired > service.policy.maximum { result.askedAboveMaximum += 1 }
                if desired < service.policy.minimum { result.askedBelowMinimum += 1 }
                requests.append(PendingDecision(service: service.index, current: workload.replicas, desired: desired, body: body(service, workload, desired: desired, tick: tick)))
            }
            let answers = try await decide(requests)
            if let decisionLog, !answers.isEmpty {
                var lines = ""
                for (pending, answer) in answers {
                    lines += #"{"at":"\#(now.rfc3339)","request":\#(pending.body),"answer":\#(answer.raw)}"# + "\n"
                }
                decisionLog.write(Data(lines.utf8))
            }
            for (pending, answer) in answers {
                let outcome = DecisionRecord.Outcome(rawValue: answer.outcome) ?? .deny
                let record = DecisionRecord(
                    tick: tick, service: pending.service, current: pending.current, desired: pending.desired, outcome: outcome,
                    allowed: answer.allowedReplicas, reasonCodes: answer.reasons.map(\.code),
                    explained: !answer.reasons.isEmpty && answer.reasons.allSatisfy { !$0.message.trimmingCharacters(in: .whitespaces).isEmpty }
                )
                for reason in answer.reasons where result.sampleMessages[reason.code] == nil {
                    result.sampleMessages[reason.code] = reason.message
                }
                if outcome != .deny { workloads[pending.service].replicas = answer.allowedReplicas }
                result.records.append(record)
            }
            // Every service, every tick: the replicas it runs are within its policy.
            for service in fleet.services {
                let replicas = workloads[service.index].replicas
                result.boundObservations += 1
                if replicas < service.policy.minimum || replicas > service.policy.maximum {
                    result.boundViolations.append(
                        "\(fleet.environments[service.environment].name)/\(service.name) at \(replicas) replicas (policy \(service.policy.minimum)–\(service.policy.maximum)) at \(SimulationText.dayHour(now))"
                    )
                }
            }
            for environment in 0..<environmentCount {
                result.running[environment].append(fleet.environments[environment].services.reduce(0) { $0 + workloads[$1].replicas })
                result.wanted[environment].append(wanted[environment])
            }
            dayDecisions += answers.count
            if (tick + 1) % ticksPerDay == 0 || tick == ticks - 1 {
                let seconds = (ContinuousClock.now - dayStarted).seconds
                progress("  simulated \(SimulationText.day(fleet.time(ofTick: tick))) (\(tick + 1)/\(ticks) ticks): "
                    + "\(SimulationText.count(dayDecisions)) decisions in \(String(format: "%.1f", seconds)) s")
                dayStarted = ContinuousClock.now
                dayDecisions = 0
            }
        }
        // The last tick's usage, up to the end.
        clock.set(fleet.end)
        try await ingest(from: fleet.time(ofTick: ticks - 1), to: fleet.end, replicas: workloads.map(\.replicas))
        for index in workloads.indices {
            advance(&workloads[index], service: fleet.services[index], load: fleet.loads[index][ticks - 1])
        }
        result.loopSeconds = (ContinuousClock.now - began).seconds
        result.records.sort { ($0.tick, $0.service) < ($1.tick, $1.service) }
        result.requests = api.counters.requests.load(ordering: .relaxed)
        result.retries = api.counters.retries.load(ordering: .relaxed)
        return result
    }

    /// The queue over one tick: arrivals at `load`, served by the replicas at `capacity` each, bounded at
    /// 30 minutes of the service's full capacity (what does not fit is dropped, and counts as errors).
    func advance(_ workload: inout Workload, service: SimulationFleet.Service, load: Double) {
        let seconds = Double(fleet.stepSeconds)
        let arrived = load * seconds
        let capacity = Double(workload.replicas) * service.capacity * seconds
        let served = min(workload.backlog + arrived, capacity)
        var backlog = workload.backlog + arrived - served
        let bound = service.capacity * Double(service.policy.maximum) * 1800
        let dropped = max(0, backlog - bound)
        backlog -= dropped
        workload.backlog = backlog
        workload.utilization = capacity > 0 ? served / capacity : 1
        workload.errorRate = min(1, 0.001 + (arrived > 0 ? dropped / arrived : 0))
    }

    struct PendingDecision: Sendable {
        var service: Int
        var current: Int
        var desired: Int
        var body: String
    }

    func body(_ service: SimulationFleet.Service, _ workload: Workload, desired: Int, tick: Int) -> String {
        let environment = fleet.environments[service.environment].name
        return #"{"request_id":"sim\#(fleet.seed)-\#(environment)-\#(service.name)-\#(tick)","environment":"\#(environment)","service":"\#(service.name)","#
            + #""current_replicas":\#(workload.replicas),"desired_replicas":\#(desired),"#
            + #""per_replica":{"cpu_cores":\#(SimulationText.number(service.cpu)),"memory_gib":\#(SimulationText.number(service.memory))},"#
            + #""signals":[{"name":"cpu_utilization","value":\#(SimulationText.number(workload.utilization))},"#
            + #"{"name":"queue_depth","value":\#(SimulationText.number(workload.backlog.rounded()))},"#
            + #"{"name":"error_rate","value":\#(SimulationText.number(workload.errorRate))}]}"#
    }

    /// The tick's requests: per environment one chain of scale-ups in service order, each scale-down on its own.
    func decide(_ requests: [PendingDecision]) async throws -> [(PendingDecision, DecisionAnswer)] {
        guard !requests.isEmpty else { return [] }
        var jobs: [[PendingDecision]] = []
        for environment in fleet.environments.indices {
            let ups = requests.filter { $0.desired > $0.current && fleet.services[$0.service].environment == environment }
            if !ups.isEmpty { jobs.append(ups) }
        }
        jobs += requests.filter { $0.desired < $0.current }.map { [$0] }
        let api = self.api
        let keepRaw = decisionLog != nil
        let path = "/v1/tenants/\(SimulationFleet.tenant)/decisions"
        return try await withThrowingTaskGroup(of: [(PendingDecision, DecisionAnswer)].self) { group in
            var next = 0
            func start() {
                let job = jobs[next]
                next += 1
                group.addTask {
                    var answers: [(PendingDecision, DecisionAnswer)] = []
                    for request in job {
                        let answer = try await api.expect(.POST, path, body: request.body)
                        var decoded = try api.decode(DecisionAnswer.self, answer)
                        if keepRaw { decoded.raw = answer.text }
                        answers.append((request, decoded))
                    }
                    return answers
                }
            }
            while next < jobs.count, next < concurrency { start() }
            var collected: [(PendingDecision, DecisionAnswer)] = []
            while let answers = try await group.next() {
                collected += answers
                if next < jobs.count { start() }
            }
            return collected.sorted { $0.0.service < $1.0.service }
        }
    }

    /// One `POST …/usage` for every service over [from, to): cpu and memory of the replicas that ran.
    func ingest(from: Timestamp, to: Timestamp, replicas: [Int]) async throws {
        let start = from.rfc3339
        let end = to.rfc3339
        var text = #"{"samples":["#
        for service in fleet.services {
            let environment = fleet.environments[service.environment].name
            let count = Double(replicas[service.index])
            if service.index > 0 { text += "," }
            text += #"{"environment":"\#(environment)","service":"\#(service.name)","resource":"cpu_cores","quantity":\#(SimulationText.number(count * service.cpu)),"start":"\#(start)","end":"\#(end)"},"#
            text += #"{"environment":"\#(environment)","service":"\#(service.name)","resource":"memory_gib","quantity":\#(SimulationText.number(count * service.memory)),"start":"\#(start)","end":"\#(end)"}"#
        }
        text += "]}"
        try await api.expect(.POST, "/v1/tenants/\(SimulationFleet.tenant)/usage", body: text)
    }
}
