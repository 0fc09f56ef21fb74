import ArgumentParser
import BudgetCore
import BudgetStore
import Foundation
import Logging

/// A fleet of simulated autoscalers against the real service on an accelerated clock: the load test that
/// checks the scaling contract's bounds (spend within deny caps, replicas within policy, no oscillation,
/// every veto explained).
struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate a fleet of autoscalers asking the decision API over a simulated week, chart it and check the contract's bounds.",
        discussion: """
            Starts a throwaway PostgreSQL cluster (or a fresh database on --database-url) and the real service in this process, \
            replaces the service's clock with a simulated one, and drives it tick by tick: each service's synthetic load (diurnal \
            curve, random bursts, noise; the same for a seed), an HPA-like autoscaler that asks POST /decisions whenever it wants \
            another replica count and applies the answer, and the usage of each tick sent to POST /usage. Afterwards it reads \
            the hourly costs back from the API, prints the checks with their figures and writes the SVG chart.
            Exit codes: 0 every check passed, 6 a check failed, 1 the run could not be completed, 64 bad command line.
            """
    )

    @Option(help: "Services in the fleet, spread over the environments.")
    var services: Int = 50

    @Option(help: "Environments (prod, staging, dev, …), each with a deny cap of different tightness.")
    var environments: Int = 3

    @Option(help: "Simulated days.")
    var days: Double = 7

    @Option(name: .customLong("step-seconds"), help: "Simulated seconds per tick (a divisor of 3600).")
    var stepSeconds: Int = 60

    @Option(help: "Seed of the fleet and its load: the same seed is the same run.")
    var seed: UInt64 = 1

    @Option(help: "Where to write the SVG chart.")
    var output: String = "simulation.svg"

    @Option(name: .customLong("database-url"), help: "postgres:// server to create the simulation's database on (default: a throwaway embedded cluster).")
    var databaseURL: String?

    @Option(help: "Simulated start (RFC 3339).")
    var start: String = "2026-11-02T00:00:00Z"

    @Option(help: "The tenant's spending period: day (period_spend is a daily cap) or month.")
    var period: String = "day"

    @Option(help: "Most decision requests in flight at once.")
    var concurrency: Int = 8

    @Option(name: .customLong("reservation-ttl-minutes"), help: "How long the service holds an unconfirmed reservation (as serve --reservation-ttl-minutes).")
    var reservationTTLMinutes: Int = 15

    @Option(name: .customLong("decisions-log"), help: "Also write every decision request and its answer to this file, one JSON line each.")
    var decisionsLog: String?

    func validate() throws {
        guard environments >= 1, environments <= 26 else { throw ValidationError("--environments must be between 1 and 26") }
        guard services >= environments, services <= 2_000 else { throw ValidationError("--services must be at least --environments and at most 2000") }
        guard stepSeconds >= 5, stepSeconds <= 3600, 3600 % stepSeconds == 0 else {
            throw ValidationError("--step-seconds must divide 3600 (5 to 3600)")
        }
        guard days.isFinite, days * 86_400 >= Double(stepSeconds), days <= 31 else { throw ValidationError("--days must cover at least one tick and at most 31 days") }
        guard Timestamp(rfc3339: start) != nil else { throw ValidationError("--start must be an RFC 3339 timestamp, e.g. 2026-11-02T00:00:00Z") }
        guard PeriodKind(rawValue: period) != nil else { throw ValidationError("--period must be day or month") }
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 64") }
        guard (1...1440).contains(reservationTTLMinutes) else { throw ValidationError("--reservation-ttl-minutes must be between 1 and 1440") }
    }

    func run() async throws {
        var quiet = makeLogger("chartly.simulate")
        quiet.logLevel = .warning
        let logger = quiet
        let startTime = Timestamp(rfc3339: start)!
        let ticks = Int(days * 86_400) / stepSeconds
        let endTime = startTime + .seconds(Int64(ticks * stepSeconds))
        let began = ContinuousClock.now
        let fleet = SimulationFleet(
            services: services, environments: environments, start: startTime, end: endTime, stepSeconds: stepSeconds, seed: seed,
            period: PeriodKind(rawValue: period)!
        )
        printHeader(fleet)

        let clock = SimulatedClock(startTime)
        clock.install()
        defer { SimulatedClock.restore() }
        let concurrency = self.concurrency
        var log: FileHandle?
        if let decisionsLog {
            guard FileManager.default.createFile(atPath: decisionsLog, contents: nil), let handle = FileHandle(forWritingAtPath: decisionsLog) else {
                throw ClientFailure("cannot write \(decisionsLog)")
            }
            log = handle
        }
        let decisionLog = log
        defer { try? decisionLog?.close() }
        let ttl = TimeSpan.minutes(Int64(reservationTTLMinutes))
        let (result, spend) = try await InProcessService.with(
            databaseURL: databaseURL, name: "simulate", maximumConnections: 24, logger: logger,
            configure: { $0.decisions = DecisionSettings(reservationTTL: ttl) }
        ) { environment in
            let api = SimulationAPI(baseURL: environment.baseURL, token: environment.token)
            let run = SimulationRun(fleet: fleet, api: api, clock: clock, concurrency: concurrency, decisionLog: decisionLog) { line in
                FileHandle.standardError.write(Data((line + "\n").utf8))
            }
            try await run.configure()
            let result = try await run.run()
            let spend = try await SimulationChecks.hourlySpend(api: api, fleet: fleet, from: fleet.start - SimulationRun.warmUp)
            return (result, spend)
        }
        SimulatedClock.restore()
        let totalSeconds = (ContinuousClock.now - began).seconds

        let vetoes = SimulationChecks.vetoes(result, fleet: fleet)
        let checks = [
            SimulationChecks.spendWithinCaps(fleet: fleet, spend: spend),
            SimulationChecks.replicasWithinPolicy(fleet: fleet, result: result),
            SimulationChecks.noOscillation(fleet: fleet, result: result),
            SimulationChecks.everyVetoExplained(result: result),
        ]
        printTotals(fleet: fleet, result: result, spend: spend, vetoes: vetoes, totalSeconds: totalSeconds)

        print("")
        print("checks:")
        for check in checks {
            print("\(check.passed ? "✓" : "✗") \(check.label)")
            for line in check.lines { print("    \(line)") }
        }
        let chart = SimulationChart(fleet: fleet, result: result, spend: spend, vetoes: vetoes, checks: checks)
        try chart.svg().write(toFile: output, atomically: true, encoding: .utf8)
        print("")
        let failed = checks.filter { !$0.passed }.count
        if failed > 0 {
            print("\(failed) of \(checks.count) checks failed. Chart: \(output) (\(fleet.environments.count) panels)")
            throw Self.boundsViolated
        }
        print("All \(checks.count) checks passed. Chart: \(output) (\(fleet.environments.count) panels)")
    }

    /// A bound of the contract was broken: the same code as a failed `doctor` check.
    static let boundsViolated = ExitCodes.checklistFailed

    private func printHeader(_ fleet: SimulationFleet) {
        print("chartly-budget simulate — \(fleet.services.count) services in \(fleet.environments.count) environments, "
            + "\(SimulationText.number(Double(fleet.end.microseconds(since: fleet.start)) / Double(Timestamp.microsecondsPerDay))) days "
            + "from \(fleet.start.rfc3339), step \(fleet.stepSeconds) s (\(SimulationText.count(fleet.ticks)) ticks), seed \(fleet.seed)")
        print("tenant \(SimulationFleet.tenant), period: \(fleet.period.rawValue); rate card cpu_cores \(SimulationFleet.cpuPrice) USD per core-hour, "
            + "memory_gib \(SimulationFleet.memoryPrice) USD per GiB-hour")
        for environment in fleet.environments {
            print("  \(environment.name.padding(toLength: 8, withPad: " ", startingAt: 0)) \(String(format: "%3d", environment.services.count)) services, "
                + "deny cap \(environment.capName): period_spend \(environment.periodCap.decimalString) \(SimulationChecks.periodUnit(fleet)), "
                + "hourly_run_rate \(environment.hourlyCap.decimalString) USD/h — \(environment.tightness.rawValue): \(environment.tightness.description) "
                + "(floor \(environment.floorPerHour.decimalString) USD/h, unconstrained peak \(environment.demandPeakHour.decimalString) USD/h, "
                + "mean \(environment.demandMeanPeriod.decimalString) \(SimulationChecks.periodUnit(fleet)))")
        }
    }

    private func printTotals(fleet: SimulationFleet, result: SimulationResult, spend: [EnvironmentSpend], vetoes: [VetoTally], totalSeconds: Double) {
        func tally(_ records: [DecisionRecord]) -> String {
            let allow = records.filter { $0.outcome == .allow }.count
            let clamp = records.filter { $0.outcome == .clamp }.count
            let deny = records.filter { $0.outcome == .deny }.count
            return "allow \(SimulationText.count(allow)), clamp \(SimulationText.count(clamp)), deny \(SimulationText.count(deny))"
        }
        func codes(_ counts: [String: Int], _ filter: (String) -> Bool) -> String {
            counts.filter { filter($0.key) }.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
                .map { "\($0.key) \(SimulationText.count($0.value))" }.joined(separator: ", ")
        }
        let ups = result.records.filter(\.isScaleUp)
        let downs = result.records.filter { !$0.isScaleUp }
        var downCodes: [String: Int] = [:]
        for record in downs where record.outcome != .allow { for code in record.reasonCodes { downCodes[code, default: 0] += 1 } }
        print("")
        print("decisions: \(SimulationText.count(result.records.count)) — \(tally(result.records))")
        print("  scale-ups:   \(SimulationText.count(ups.count)) — \(tally(ups))")
        print("  scale-downs: \(SimulationText.count(downs.count)) — \(tally(downs))"
            + (downCodes.isEmpty ? "" : " (refused or clamped by \(codes(downCodes) { _ in true }))"))
        print("vetoes (scale-ups denied or clamped), per environment:")
        for (environment, tally) in zip(fleet.environments, vetoes) {
            let isCost: (String) -> Bool = { $0.hasPrefix("cap_") || $0 == "budget_forecast" || $0 == "unpriced" }
            var line = "  \(environment.name.padding(toLength: 8, withPad: " ", startingAt: 0)) \(SimulationText.count(tally.total).leftPadded(7))"
            if tally.total > 0 {
                line += " — by cost \(SimulationText.count(tally.cost))"
                let cost = codes(tally.codes, isCost)
                if !cost.isEmpty { line += " (\(cost))" }
                line += ", by policy only \(SimulationText.count(tally.policy))"
                let policy = codes(tally.codes) { !isCost($0) }
                if !policy.isEmpty { line += " (policy reasons: \(policy))" }
            }
            print(line)
        }
        print("  total    \(SimulationText.count(vetoes.reduce(0) { $0 + $1.total }).leftPadded(7))")
        var peaks: [String] = []
        var highest = (ratio: 0.0, label: "")
        for (environment, figures) in zip(fleet.environments, spend) {
            let period = SimulationChecks.ratio(figures.peakSpend, environment.periodCap)
            let hourly = SimulationChecks.ratio(figures.peakHour, environment.hourlyCap)
            peaks.append("\(environment.name) \(SimulationText.percent(period)) of period_spend, \(SimulationText.percent(hourly)) of hourly_run_rate")
            if period > highest.ratio { highest = (period, "\(environment.name), period_spend") }
            if hourly > highest.ratio { highest = (hourly, "\(environment.name), hourly_run_rate") }
        }
        print("peak spend/cap: " + peaks.joined(separator: "; "))
        print("  highest: \(SimulationText.percent(highest.ratio)) (\(highest.label))")
        let wait = SimulationChecks.longestScaleDownWait(fleet: fleet, result: result)
        print("scale-downs: longest wait before one was approved \(wait.seconds / 60) min"
            + (wait.service.isEmpty ? "" : " (\(wait.service))")
            + "; services that asked to scale down and never got one: \(wait.never.isEmpty ? "none" : wait.never.joined(separator: ", "))")
        let hours = Double(fleet.end.microseconds(since: fleet.start)) / Double(Timestamp.microsecondsPerHour)
        print("speed: \(SimulationText.number(hours)) simulated hours in \(String(format: "%.1f", result.loopSeconds)) s = "
            + "\(String(format: "%.2f", hours / max(result.loopSeconds, 1e-9))) simulated hours per real second "
            + "(\(String(format: "%.0f", Double(result.records.count) / max(result.loopSeconds, 1e-9))) decisions/s, "
            + "\(SimulationText.count(result.requests)) HTTP requests, \(result.retries) retries; \(String(format: "%.1f", totalSeconds)) s in all with PostgreSQL start-up)")
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
