import BudgetCore
import Foundation

/// What the costs API says an environment spent, hour by hour, and the spend so far in its period at each hour's end.
struct EnvironmentSpend: Sendable {
    /// Every hour from `from` to the end of the run (zero where nothing was recorded).
    var hours: [(start: Timestamp, cost: Money)]
    /// Spend so far in the period at the end of each hour (same indexes as `hours`).
    var spendSoFar: [Money]
    var peakSpend: Money
    var peakSpendAt: Timestamp
    var peakHour: Money
    var peakHourAt: Timestamp
    var total: Money
}

/// The contract's bounds, checked after the run, each with its figures.
struct SimulationCheck {
    /// A few words for the chart's header.
    var short: String
    var label: String
    var passed: Bool
    var lines: [String]
}

/// Per environment: scale-ups vetoed by the cap (cost) or by the policy, and their reason codes.
struct VetoTally {
    var cost = 0
    var policy = 0
    var codes: [String: Int] = [:]
    var total: Int { cost + policy }
}

enum SimulationChecks {
    /// `GET …/costs?group_by=environment&step=1h`, in slices the API accepts (31 days of hours at most).
    static func hourlySpend(api: SimulationAPI, fleet: SimulationFleet, from: Timestamp) async throws -> [EnvironmentSpend] {
        struct Report: Decodable {
            struct Point: Decodable {
                var start: String
                var cost: String
            }
            struct Series: Decodable {
                var key: String
                var points: [Point]
            }
            var series: [Series]
        }
        var costs: [String: [Int64: Money]] = [:]
        var sliceStart = from
        while sliceStart < fleet.end {
            let sliceEnd = min(fleet.end, sliceStart + .days(30))
            let answer = try await api.expect(
                .GET,
                "/v1/tenants/\(SimulationFleet.tenant)/costs?group_by=environment&step=1h&from=\(sliceStart.rfc3339)&to=\(sliceEnd.rfc3339)"
            )
            for series in try api.decode(Report.self, answer).series {
                for point in series.points {
                    guard let start = Timestamp(rfc3339: point.start), let cost = Money(decimalString: point.cost) else {
                        throw ClientFailure("the costs API answered an unreadable point: \(point.start) \(point.cost)")
                    }
                    costs[series.key, default: [:]][start.microsecondsSinceEpoch, default: .zero] += cost
                }
            }
            sliceStart = sliceEnd
        }
        return fleet.environments.map { environment in
            let points = costs[environment.name] ?? [:]
            var spend = EnvironmentSpend(
                hours: [], spendSoFar: [], peakSpend: .zero, peakSpendAt: from, peakHour: .zero, peakHourAt: from, total: .zero
            )
            var hour = from.startOfHour
            var period = fleet.periodStart(containing: hour)
            var soFar = Money.zero
            while hour < fleet.end {
                let cost = points[hour.microsecondsSinceEpoch] ?? .zero
                let periodNow = fleet.periodStart(containing: hour)
                if periodNow != period {
                    period = periodNow
                    soFar = .zero
                }
                soFar += cost
                spend.total += cost
                spend.hours.append((hour, cost))
                spend.spendSoFar.append(soFar)
                if soFar > spend.peakSpend { (spend.peakSpend, spend.peakSpendAt) = (soFar, hour + .hours(1)) }
                if cost > spend.peakHour { (spend.peakHour, spend.peakHourAt) = (cost, hour) }
                hour += .hours(1)
            }
            return spend
        }
    }

    static func vetoes(_ result: SimulationResult, fleet: SimulationFleet) -> [VetoTally] {
        var tallies = [VetoTally](repeating: VetoTally(), count: fleet.environments.count)
        for record in result.records where record.isScaleUp && record.outcome != .allow {
            let environment = fleet.services[record.service].environment
            if record.isCostVeto { tallies[environment].cost += 1 } else { tallies[environment].policy += 1 }
            for code in record.reasonCodes { tallies[environment].codes[code, default: 0] += 1 }
        }
        return tallies
    }

    static func ratio(_ amount: Money, _ limit: Money) -> Double {
        limit.nanos == 0 ? 0 : Double(amount.nanos) / Double(limit.nanos)
    }

    static func periodUnit(_ fleet: SimulationFleet) -> String {
        fleet.period == .day ? "USD per day" : "USD per month"
    }

    /// (a) Spend so far never above `period_spend`, and no hour above `hourly_run_rate`, compared exactly.
    static func spendWithinCaps(fleet: SimulationFleet, spend: [EnvironmentSpend]) -> SimulationCheck {
        var passed = true
        var lines: [String] = []
        for (environment, figures) in zip(fleet.environments, spend) {
            let periodOK = figures.spendSoFar.allSatisfy { $0 <= environment.periodCap }
            let hourlyOK = figures.hours.allSatisfy { $0.cost <= environment.hourlyCap }
            passed = passed && periodOK && hourlyOK
            let overPeriods = figures.spendSoFar.filter { $0 > environment.periodCap }.count
            let overHours = figures.hours.filter { $0.cost > environment.hourlyCap }.count
            lines.append(
                "\(environment.name): peak spend so far \(figures.peakSpend.decimalString) of \(environment.periodCap.decimalString) \(periodUnit(fleet)) "
                    + "(\(SimulationText.percent(ratio(figures.peakSpend, environment.periodCap))), \(SimulationText.dayHour(figures.peakSpendAt)))"
                    + (periodOK ? "" : " — ABOVE THE CAP at \(overPeriods) hour ends")
                    + "; peak hour \(figures.peakHour.decimalString) of \(environment.hourlyCap.decimalString) USD/h "
                    + "(\(SimulationText.percent(ratio(figures.peakHour, environment.hourlyCap))), \(SimulationText.dayHour(figures.peakHourAt)))"
                    + (hourlyOK ? "" : " — \(overHours) HOURS ABOVE THE CAP")
            )
            if !hourlyOK {
                for hour in figures.hours where hour.cost > environment.hourlyCap {
                    lines.append("  \(environment.name) \(SimulationText.dayHour(hour.start)): \(hour.cost.decimalString) USD > \(environment.hourlyCap.decimalString) USD/h")
                    if lines.count > 40 { break }
                }
            }
        }
        return SimulationCheck(short: "(a) spend within caps", label: "(a) spend never above a deny cap (costs API, hour by hour, exact decimal money)", passed: passed, lines: lines)
    }

    /// (b) Every service's replicas within its policy's [min, max] at every tick.
    static func replicasWithinPolicy(fleet: SimulationFleet, result: SimulationResult) -> SimulationCheck {
        var lines = [
            "\(SimulationText.count(result.boundObservations)) service-ticks observed, \(SimulationText.count(result.boundViolations.count)) outside [min, max]; "
                + "autoscalers asked above their policy's max \(SimulationText.count(result.askedAboveMaximum)) times and below its min "
                + "\(SimulationText.count(result.askedBelowMinimum)) times, and were held to the bounds"
        ]
        lines += result.boundViolations.prefix(10).map { "  \($0)" }
        return SimulationCheck(short: "(b) replicas within policy", label: "(b) no replica count outside its policy", passed: result.boundViolations.isEmpty, lines: lines)
    }

    /// (c) No oscillation: no approved scale-down inside the safety window after an approved scale-up of the
    /// same service, and the scale-up and scale-down cooldowns respected between approved scalings.
    static func noOscillation(fleet: SimulationFleet, result: SimulationResult) -> SimulationCheck {
        let step = fleet.stepSeconds
        var lastUp: [Int: Int] = [:]
        var lastDown: [Int: Int] = [:]
        var reversals: [String] = []
        var upCooldown = 0
        var downCooldown = 0
        var approvedUps = 0
        var approvedDowns = 0
        var shortestUpToDown: Int?
        var upAfterDown = 0
        for record in result.records where record.approved {
            let service = fleet.services[record.service]
            let policy = service.policy
            if record.allowed > record.current {
                approvedUps += 1
                if let previous = lastUp[record.service], (record.tick - previous) * step < policy.upCooldown { upCooldown += 1 }
                if let down = lastDown[record.service], (record.tick - down) * step < policy.safetyWindow { upAfterDown += 1 }
                lastUp[record.service] = record.tick
            } else if record.allowed < record.current {
                approvedDowns += 1
                if let up = lastUp[record.service] {
                    let gap = (record.tick - up) * step
                    shortestUpToDown = min(shortestUpToDown ?? gap, gap)
                    if gap < max(policy.safetyWindow, policy.downCooldown) {
                        reversals.append(
                            "\(fleet.environments[service.environment].name)/\(service.name): scaled up at \(SimulationText.dayHour(fleet.time(ofTick: up))), "
                                + "down \(gap) s later (safety window \(policy.safetyWindow) s)"
                        )
                    }
                }
                if let previous = lastDown[record.service], (record.tick - previous) * step < policy.downCooldown { downCooldown += 1 }
                lastDown[record.service] = record.tick
            }
        }
        var lines = [
            "\(SimulationText.count(approvedUps)) approved scale-ups, \(SimulationText.count(approvedDowns)) approved scale-downs; "
                + "\(reversals.count) scale-downs inside a safety window after a scale-up"
                + (shortestUpToDown.map { " (shortest scale-up → scale-down \($0) s)" } ?? ""),
            "scale-ups inside the scale-up cooldown: \(upCooldown); scale-downs inside the scale-down cooldown: \(downCooldown); "
                + "scale-ups within a safety window after a scale-down (allowed by the contract, for information): \(upAfterDown)",
        ]
        lines += reversals.prefix(10).map { "  \($0)" }
        return SimulationCheck(
            short: "(c) no oscillation", label: "(c) no oscillation (no scale-up reversed within its cooldown or safety window)",
            passed: reversals.isEmpty && upCooldown == 0 && downCooldown == 0, lines: lines
        )
    }

    /// (d) Every deny or clamp carries at least one reason, each with a message.
    static func everyVetoExplained(result: SimulationResult) -> SimulationCheck {
        let refusals = result.records.filter { $0.outcome != .allow }
        let unexplained = refusals.filter { !$0.explained }
        var codes: [String: Int] = [:]
        for record in refusals { for code in record.reasonCodes { codes[code, default: 0] += 1 } }
        let listed = codes.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.key) \(SimulationText.count($0.value))" }
        return SimulationCheck(
            short: "(d) every veto explained", label: "(d) every veto explained",
            passed: unexplained.isEmpty,
            lines: [
                "\(SimulationText.count(refusals.count)) denies and clamps, \(unexplained.count) without a reason or a message",
                "reasons: " + (listed.isEmpty ? "none" : listed.joined(separator: ", ")),
            ]
        )
    }

    /// Per service: the longest time an autoscaler kept asking to scale down before one was approved (or the run ended).
    static func longestScaleDownWait(fleet: SimulationFleet, result: SimulationResult) -> (seconds: Int, service: String, never: [String]) {
        var waitingSince: [Int: Int] = [:]
        var lastAskedTick: [Int: Int] = [:]
        var approvedDown = Set<Int>()
        var askedDown = Set<Int>()
        var longest = (seconds: 0, service: "")
        for record in result.records where record.desired < record.current {
            askedDown.insert(record.service)
            // A gap of more than one tick ends a streak of asking.
            if let last = lastAskedTick[record.service], record.tick - last > 1 { waitingSince[record.service] = nil }
            lastAskedTick[record.service] = record.tick
            if record.approved {
                approvedDown.insert(record.service)
                if let since = waitingSince[record.service] {
                    let seconds = (record.tick - since) * fleet.stepSeconds
                    if seconds > longest.seconds {
                        let service = fleet.services[record.service]
                        longest = (seconds, "\(fleet.environments[service.environment].name)/\(service.name)")
                    }
                }
                waitingSince[record.service] = nil
            } else if waitingSince[record.service] == nil {
                waitingSince[record.service] = record.tick
            }
        }
        let never = askedDown.subtracting(approvedDown).sorted().map { index in
            let service = fleet.services[index]
            return "\(fleet.environments[service.environment].name)/\(service.name)"
        }
        return (longest.seconds, longest.service, never)
    }
}
