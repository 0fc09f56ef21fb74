import BudgetCore
import Foundation

/// The simulated tenant: environments with their deny caps, services with their scaling policies, per-replica
/// resources, capacity and load. Everything is drawn from the seed, so a seed is always the same fleet.
struct SimulationFleet: Sendable {
    static let tenant = "sim"
    /// The rate card: per core-hour and per GiB-hour.
    static let cpuPrice = "0.04"
    static let memoryPrice = "0.005"
    static let cpuPriceNanos: Int64 = 40_000_000
    static let memoryPriceNanos: Int64 = 5_000_000
    /// The autoscalers' target utilization and tolerance (like HPA's defaults: ±10 % around the target does nothing).
    static let targetUtilization = 0.7
    static let tolerance = 0.1
    /// Seconds over which an autoscaler plans to drain the backlog it sees.
    static let drainSeconds = 300.0

    enum Tightness: String, Sendable {
        case moderate, tight, loose

        /// How the caps are placed on the environment's unconstrained demand (what its autoscalers would run
        /// with no cap), so that a cap binds as often as intended whatever the seed.
        var description: String {
            switch self {
            case .moderate: "hourly cap at the 85th percentile of unconstrained hourly demand, period cap 95 % of its mean"
            case .tight: "hourly cap at the 55th percentile of unconstrained hourly demand, period cap 80 % of its mean"
            case .loose: "caps 50 % above the unconstrained peak (should never bind)"
            }
        }
    }

    struct Environment: Sendable {
        var index: Int
        var name: String
        var tightness: Tightness
        var services: [Int]
        var capName: String { "\(name)-cap" }
        /// `hourly_run_rate` and `period_spend` of the environment's deny cap.
        var hourlyCap: Money
        var periodCap: Money
        /// What the environment costs per hour with every service at its policy's min replicas.
        var floorPerHour: Money
        /// Unconstrained demand, for the report: peak hour and mean period.
        var demandPeakHour: Money
        var demandMeanPeriod: Money
    }

    struct Policy: Sendable {
        var minimum: Int
        var maximum: Int
        var maximumStep: Int
        var upCooldown: Int
        var windowSeconds: Int?
        var windowReplicas: Int?
        var downCooldown: Int
        var safetyWindow: Int
        var backlogBelow: Double
        var errorRateAtMost: Double

        var json: String {
            var up = #""max_step_replicas":\#(maximumStep),"cooldown_seconds":\#(upCooldown)"#
            if let windowSeconds, let windowReplicas { up += #","window_seconds":\#(windowSeconds),"window_replicas":\#(windowReplicas)"# }
            return #"{"min_replicas":\#(minimum),"max_replicas":\#(maximum),"scale_up":{\#(up)},"#
                + #""scale_down":{"cooldown_seconds":\#(downCooldown),"safety_window_seconds":\#(safetyWindow),"#
                + #""backlog_below":\#(SimulationText.number(backlogBelow)),"error_rate_at_most":\#(SimulationText.number(errorRateAtMost))},"#
                + #""allowed_signals":["cpu_utilization","queue_depth"]}"#
        }
    }

    struct Load: Sendable {
        /// Requests per second at the diurnal peak, before bursts and noise.
        var base: Double
        /// Hour of day (UTC) of the peak.
        var peakHour: Double
        /// Share of the peak that remains at night.
        var night: Double
        /// Factor on Saturdays and Sundays.
        var weekend: Double
        var burstsPerDay: Double
        var burstHeight: ClosedRange<Double>
        var noise: Double
    }

    struct Service: Sendable {
        var index: Int
        var environment: Int
        var name: String
        var cpu: Double
        var memory: Double
        /// Requests per second one replica serves at full utilization.
        var capacity: Double
        var policy: Policy
        /// The autoscaler's own bounds, which are not always the policy's (a misconfigured HPA).
        var autoscalerMinimum: Int
        var autoscalerMaximum: Int
        var load: Load

        /// Cost of one replica for one hour, exactly as the rate card prices it.
        var replicaHour: Money {
            Money(nanos: Int64((cpu * Double(SimulationFleet.cpuPriceNanos)).rounded()) + Int64((memory * Double(SimulationFleet.memoryPriceNanos)).rounded()))
        }

        /// What the autoscaler wants for `load` requests per second and `backlog` waiting, within its own bounds,
        /// given `current` replicas; `current` when within the tolerance.
        func desired(load: Double, backlog: Double, current: Int) -> Int {
            let need = (load + backlog / SimulationFleet.drainSeconds) / (capacity * SimulationFleet.targetUtilization)
            var wanted = max(0, Int((need - 1e-9).rounded(.up)))
            if current > 0, abs(need / Double(current) - 1) <= SimulationFleet.tolerance { wanted = current }
            return min(max(wanted, autoscalerMinimum), autoscalerMaximum)
        }

        /// Replicas the policy would allow for a load with no cap: the demand the caps are placed on.
        func unconstrained(load: Double) -> Int {
            let need = load / (capacity * SimulationFleet.targetUtilization)
            return min(max(Int((need - 1e-9).rounded(.up)), policy.minimum), policy.maximum)
        }
    }

    let seed: UInt64
    let start: Timestamp
    let end: Timestamp
    let stepSeconds: Int
    let period: PeriodKind
    var environments: [Environment]
    var services: [Service]
    /// Requests per second per service per tick (`loads[service][tick]`), drawn before the run.
    var loads: [[Double]]

    var ticks: Int { Int(end.microseconds(since: start) / (Int64(stepSeconds) * 1_000_000)) }

    func time(ofTick tick: Int) -> Timestamp { start + .seconds(Int64(tick * stepSeconds)) }

    static let environmentNames = ["prod", "staging", "dev", "qa", "perf", "sandbox", "preview", "canary"]
    static let tightnessCycle: [Tightness] = [.moderate, .tight, .loose]
    static let kinds = ["api", "web", "worker", "search", "ingest", "billing", "auth", "notify", "report", "cache"]

    init(services serviceCount: Int, environments environmentCount: Int, start: Timestamp, end: Timestamp, stepSeconds: Int, seed: UInt64, period: PeriodKind) {
        self.seed = seed
        self.start = start
        self.end = end
        self.stepSeconds = stepSeconds
        self.period = period
        var generator = SeededGenerator(seed: Self.mix(seed, 0x5EED))
        var services: [Service] = []
        for index in 0..<serviceCount {
            services.append(Self.makeService(index: index, environment: index % environmentCount, generator: &generator))
        }
        self.services = services
        let ticks = Int(end.microseconds(since: start) / (Int64(stepSeconds) * 1_000_000))
        loads = services.map { service in
            var load = LoadGenerator(service.load, seed: Self.mix(seed, UInt64(service.index + 1)), stepSeconds: stepSeconds)
            return (0..<ticks).map { tick in load.next(at: start + .seconds(Int64(tick * stepSeconds))) }
        }
        environments = []
        for index in 0..<environmentCount {
            let name = index < Self.environmentNames.count ? Self.environmentNames[index] : "env-\(index)"
            environments.append(placeCaps(index: index, name: name, tightness: Self.tightnessCycle[index % Self.tightnessCycle.count]))
        }
    }

    private static func makeService(index: Int, environment: Int, generator: inout SeededGenerator) -> Service {
        let kind = kinds[index % kinds.count]
        let cpu = [0.5, 1, 1, 2][generator.integer(0...3)]
        let memory = cpu * [2.0, 2, 4][generator.integer(0...2)]
        let capacity = (generator.uniform(40...160)).rounded()
        let minimum = generator.integer(1...3)
        let maximum = minimum + generator.integer(6...20)
        let downCooldown = [300, 600][generator.integer(0...1)]
        let hasWindow = generator.integer(0...2) == 0
        let policy = Policy(
            minimum: minimum, maximum: maximum, maximumStep: generator.integer(2...4), upCooldown: [60, 120, 180][generator.integer(0...2)],
            windowSeconds: hasWindow ? 900 : nil, windowReplicas: hasWindow ? 8 : nil,
            downCooldown: downCooldown, safetyWindow: max(downCooldown, [600, 900, 1200][generator.integer(0...2)]),
            backlogBelow: (capacity * 20).rounded(), errorRateAtMost: 0.02
        )
        // One autoscaler in ten allows more than the policy, one in ten less: the service must hold the policy's bounds.
        let autoscalerMaximum = index % 10 == 3 ? maximum + 4 : maximum
        let autoscalerMinimum = index % 10 == 7 ? minimum - 1 : minimum
        let load = Load(
            base: capacity * targetUtilization * Double(maximum) * generator.uniform(0.35...0.6),
            peakHour: generator.uniform(12...17), night: generator.uniform(0.15...0.4),
            weekend: environment == 0 ? generator.uniform(0.55...0.8) : generator.uniform(0.3...0.6),
            burstsPerDay: generator.uniform(2...6), burstHeight: 0.3...generator.uniform(1.2...2.5), noise: generator.uniform(0.03...0.08)
        )
        return Service(
            index: index, environment: environment, name: "\(kind)-\(String(format: "%02d", index))", cpu: cpu, memory: memory,
            capacity: capacity, policy: policy, autoscalerMinimum: autoscalerMinimum, autoscalerMaximum: autoscalerMaximum, load: load
        )
    }

    /// The environment's caps from its unconstrained demand, never below 1.25× its floor (every service at min).
    private func placeCaps(index: Int, name: String, tightness: Tightness) -> Environment {
        let members = services.filter { $0.environment == index }
        let hours = Int((end.microseconds(since: start) + Timestamp.microsecondsPerHour - 1) / Timestamp.microsecondsPerHour)
        var hourly = [Double](repeating: 0, count: hours)
        let stepHours = Double(stepSeconds) / 3600
        for service in members {
            let replicaHour = Double(service.replicaHour.nanos) / 1e9
            for (tick, load) in loads[service.index].enumerated() {
                hourly[tick * stepSeconds / 3600] += Double(service.unconstrained(load: load)) * replicaHour * stepHours
            }
        }
        let floor = members.reduce(Money.zero) { $0 + $1.replicaHour.multiplied(by: $1.policy.minimum)! }
        let floorUnits = Double(floor.nanos) / 1e9
        let periodHours = Double(periodLength(containing: start).totalHours)
        let meanHour = hourly.reduce(0, +) / Double(max(1, hourly.count))
        let meanPeriod = meanHour * periodHours
        let sorted = hourly.sorted()
        func quantile(_ q: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))]
        }
        var hourCap: Double
        var periodCap: Double
        switch tightness {
        case .moderate: (hourCap, periodCap) = (quantile(0.85), meanPeriod * 0.95)
        case .tight: (hourCap, periodCap) = (quantile(0.55), meanPeriod * 0.8)
        case .loose: (hourCap, periodCap) = ((sorted.last ?? 0) * 1.5, max(meanPeriod, (sorted.last ?? 0) * periodHours) * 1.5)
        }
        hourCap = max(hourCap, floorUnits * 1.25)
        periodCap = max(periodCap, floorUnits * periodHours * 1.25)
        return Environment(
            index: index, name: name, tightness: tightness, services: members.map(\.index),
            hourlyCap: Self.cents(up: hourCap), periodCap: Self.cents(up: periodCap), floorPerHour: floor,
            demandPeakHour: Self.cents(up: sorted.last ?? 0), demandMeanPeriod: Self.cents(up: meanPeriod)
        )
    }

    /// The length of the tenant's period containing `instant` (a day, or the calendar month).
    func periodLength(containing instant: Timestamp) -> TimeSpan {
        let bounds = period.bounds(containing: instant)
        return bounds.end - bounds.start
    }

    /// The start of the period containing `instant`.
    func periodStart(containing instant: Timestamp) -> Timestamp {
        period.bounds(containing: instant).start
    }

    static func cents(up value: Double) -> Money {
        Money(nanos: Int64((value * 100).rounded(.up)) * 10_000_000)
    }

    /// SplitMix-style mixing of the seed with a stream number, so each service has its own stream.
    static func mix(_ seed: UInt64, _ stream: UInt64) -> UInt64 {
        var z = seed &+ stream &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Bursty synthetic load for one service: a diurnal curve (lower at weekends), random bursts of varying length
/// and height, and autocorrelated noise. Deterministic for its seed.
struct LoadGenerator {
    let profile: SimulationFleet.Load
    let stepSeconds: Int
    var generator: SeededGenerator
    var noise = 0.0
    var burst: (elapsed: Int, length: Int, height: Double)?

    init(_ profile: SimulationFleet.Load, seed: UInt64, stepSeconds: Int) {
        self.profile = profile
        self.stepSeconds = stepSeconds
        generator = SeededGenerator(seed: seed)
    }

    /// Requests per second during the tick starting at `time`.
    mutating func next(at time: Timestamp) -> Double {
        let civil = time.civil
        let hour = Double(civil.hour) + Double(civil.minute) / 60 + Double(civil.second) / 3600
        let shape = pow((1 + cos(2 * Double.pi * (hour - profile.peakHour) / 24)) / 2, 1.5)
        var level = profile.night + (1 - profile.night) * shape
        // 2026-11-02 is a Monday; day 5 and 6 after any Monday are the weekend.
        let weekday = Int(((time.microsecondsSinceEpoch / Timestamp.microsecondsPerDay) % 7 + 7 + 3) % 7)  // 0 = Monday
        if weekday >= 5 { level *= profile.weekend }
        noise = 0.8 * noise + 0.2 * generator.normal() * profile.noise * 3
        var load = profile.base * level * max(0.2, 1 + noise)
        // Bursts: a Poisson start rate, log-uniform length from 5 minutes to 3 hours, a trapezoid shape.
        if burst == nil, generator.unit() < profile.burstsPerDay * Double(stepSeconds) / 86_400 {
            let seconds = exp(generator.uniform(log(300)...log(10_800)))
            var height = generator.uniform(profile.burstHeight)
            if generator.unit() < 0.1 { height *= 1.6 }
            burst = (0, max(1, Int(seconds) / stepSeconds), height)
        }
        if let current = burst {
            let fraction = Double(current.elapsed) / Double(current.length)
            let envelope = fraction < 0.1 ? fraction / 0.1 : (fraction > 0.8 ? (1 - fraction) / 0.2 : 1)
            load += profile.base * current.height * max(0, envelope)
            burst = current.elapsed + 1 >= current.length ? nil : (current.elapsed + 1, current.length, current.height)
        }
        return max(0, load)
    }
}

/// Numbers in request bodies and reports, always the same text for the same value.
enum SimulationText {
    /// A JSON number with at most 3 decimals, integers without a point.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let thousandths = Int64((value * 1000).rounded())
        let sign = thousandths < 0 ? "-" : ""
        let magnitude = thousandths.magnitude
        let fraction = magnitude % 1000
        if fraction == 0 { return "\(sign)\(magnitude / 1000)" }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 3 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(sign)\(magnitude / 1000).\(digits)"
    }

    /// "12,345".
    static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { text += "," }
            text.append(digit)
        }
        return (value < 0 ? "-" : "") + text
    }

    static func percent(_ value: Double) -> String { String(format: "%.1f %%", value * 100) }

    /// "Mon Nov 2 14:00".
    static func dayHour(_ time: Timestamp) -> String {
        let civil = time.civil
        return "\(weekday(time)) \(month(civil.date.month)) \(civil.date.day) \(String(format: "%02d:%02d", civil.hour, civil.minute))"
    }

    /// "Mon Nov 2".
    static func day(_ time: Timestamp) -> String {
        let civil = time.civil
        return "\(weekday(time)) \(month(civil.date.month)) \(civil.date.day)"
    }

    static func weekday(_ time: Timestamp) -> String {
        let index = Int(((time.microsecondsSinceEpoch / Timestamp.microsecondsPerDay) % 7 + 7 + 3) % 7)
        return ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][index]
    }

    static func month(_ month: Int) -> String {
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][max(0, min(11, month - 1))]
    }
}
