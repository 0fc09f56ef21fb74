import BudgetCore
import BudgetServer
import Foundation

/// The simulation as one SVG: per environment a panel of three plots over the same time axis — replicas
/// (running and wanted, vetoes marked), the hourly cost against the hourly cap, and the spend so far in the
/// period against the period cap. No scripts; the same run always gives the same bytes.
struct SimulationChart {
    let fleet: SimulationFleet
    let result: SimulationResult
    let spend: [EnvironmentSpend]
    let vetoes: [VetoTally]
    let checks: [SimulationCheck]

    static let width = 1200.0
    static let left = 84.0
    static let right = width - 28
    static let font = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
    static let runningColor = "#2563eb"
    static let wantedColor = "#6b7280"
    static let costColor = "#0d9488"
    static let spendColor = "#2563eb"
    static let capColor = "#dc2626"
    static let costVetoColor = "#dc2626"
    static let policyVetoColor = "#d97706"
    static let text = "#111827"
    static let muted = "#4b5563"
    static let grid = "#e5e7eb"
    /// A white outline behind a label drawn over lines, so it stays readable.
    static let halo = " stroke=\"#ffffff\" stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\""

    static let panelHeading = 30.0
    static let replicasHeight = 150.0
    static let costHeight = 104.0
    static let gap = 14.0
    static let axisLabels = 42.0
    static let panelGap = 26.0
    static var panelHeight: Double { panelHeading + replicasHeight + gap + costHeight + gap + costHeight + axisLabels + panelGap }

    enum Swatch { case line(String, String?), marker(String) }

    static let legendItems: [(String, Swatch)] = [
        ("Running replicas (sum over services)", .line(runningColor, nil)),
        ("Wanted by the autoscalers", .line(wantedColor, "5 4")),
        ("Hourly cost", .line(costColor, nil)),
        ("Spend so far in the period", .line(spendColor, nil)),
        ("Deny cap", .line(capColor, "7 4")),
        ("Hour with scale-ups vetoed by cost", .marker(costVetoColor)),
        ("Hour with scale-ups vetoed by the policy only", .marker(policyVetoColor)),
    ]

    /// The legend's items placed left to right, wrapping at the plot's right edge: (x, row).
    static var legendLayout: [(x: Double, row: Int)] {
        var x = left
        var row = 0
        var positions: [(Double, Int)] = []
        for (label, _) in legendItems {
            let width = 26 + Double(label.count) * 6.4 + 20
            if x + width > right, x > left {
                x = left
                row += 1
            }
            positions.append((x, row))
            x += width
        }
        return positions
    }

    static var headerHeight: Double { 96 + Double((legendLayout.last?.row ?? 0) + 1) * 20 }

    var height: Double { Self.headerHeight + Double(fleet.environments.count) * Self.panelHeight }

    func svg() -> String {
        let passed = checks.allSatisfy(\.passed)
        let days = Double(fleet.end.microseconds(since: fleet.start)) / Double(Timestamp.microsecondsPerDay)
        let title = "chartly-budget simulate: \(fleet.services.count) services in \(fleet.environments.count) environments, "
            + "\(SimulationText.number(days)) \(days == 1 ? "day" : "days") from \(SimulationText.day(fleet.start)) \(fleet.start.civil.date.year) (UTC), "
            + "step \(fleet.stepSeconds) s, seed \(fleet.seed)"
        let description = checks.map { "\($0.passed ? "✓" : "✗") \($0.label)" }.joined(separator: "; ")
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Self.n(Self.width)) \(Self.n(height))\" "
            + "width=\"\(Self.n(Self.width))\" height=\"\(Self.n(height))\" role=\"img\" aria-labelledby=\"sim-title sim-desc\" "
            + "font-family=\"\(Self.font)\" font-size=\"12\">"
            + "<title id=\"sim-title\">\(Self.escape(title))</title><desc id=\"sim-desc\">\(Self.escape(description))</desc>"
            + "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>"
        svg += "<text x=\"\(Self.n(Self.left))\" y=\"30\" font-size=\"16\" font-weight=\"700\" fill=\"\(Self.text)\">\(Self.escape(title))</text>"
        let checkLine = checks.map { "\($0.passed ? "✓" : "✗") \($0.short)" }.joined(separator: "    ")
        svg += "<text class=\"checks\" x=\"\(Self.n(Self.left))\" y=\"52\" font-size=\"13\" font-weight=\"600\" fill=\"\(passed ? "#15803d" : Self.capColor)\">"
            + "\(Self.escape((passed ? "All checks passed:   " : "CHECKS FAILED:   ") + checkLine))</text>"
        svg += "<text x=\"\(Self.n(Self.left))\" y=\"72\" font-size=\"12\" fill=\"\(Self.muted)\">"
            + "\(Self.escape("Tenant period: one \(fleet.period == .day ? "UTC day" : "calendar month"). Each environment has a deny cap on its period spend and on its hourly run rate; every autoscaler asks the decision API before it scales."))</text>"
        svg += legend(y: 84)
        for (index, environment) in fleet.environments.enumerated() {
            svg += panel(environment, y: Self.headerHeight + Double(index) * Self.panelHeight)
        }
        return svg + "</svg>\n"
    }

    // MARK: legend

    private func legend(y: Double) -> String {
        var svg = "<g class=\"legend\" fill=\"\(Self.text)\">"
        for ((label, swatch), position) in zip(Self.legendItems, Self.legendLayout) {
            let x = position.x
            let top = y + Double(position.row) * 20
            switch swatch {
            case .line(let color, let dash):
                svg += "<line x1=\"\(Self.n(x))\" y1=\"\(Self.n(top + 7))\" x2=\"\(Self.n(x + 20))\" y2=\"\(Self.n(top + 7))\" stroke=\"\(color)\" "
                    + "stroke-width=\"2.5\"\(dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")/>"
            case .marker(let color):
                svg += "<path d=\"M\(Self.n(x + 4)),\(Self.n(top + 2))h12l-6,10z\" fill=\"\(color)\"/>"
            }
            svg += "<text x=\"\(Self.n(x + 26))\" y=\"\(Self.n(top + 11))\">\(Self.escape(label))</text>"
        }
        return svg + "</g>"
    }

    // MARK: panels

    private func panel(_ environment: SimulationFleet.Environment, y: Double) -> String {
        let index = environment.index
        let tally = vetoes[index]
        var svg = "<g class=\"panel\" id=\"panel-\(Self.escape(environment.name))\" data-environment=\"\(Self.escape(environment.name))\" "
            + "transform=\"translate(0 \(Self.n(y)))\">"
        let heading = " — \(environment.services.count) services, \(environment.tightness.rawValue) caps: "
            + "\(environment.periodCap.decimalString) \(SimulationChecks.periodUnit(fleet)), \(environment.hourlyCap.decimalString) USD/h (deny) · "
            + "\(SimulationText.count(tally.total)) scale-ups vetoed (\(SimulationText.count(tally.cost)) by cost, \(SimulationText.count(tally.policy)) by policy)"
        svg += "<text x=\"\(Self.n(Self.left))\" y=\"18\" font-size=\"14\" fill=\"\(Self.text)\">"
            + "<tspan font-weight=\"700\">\(Self.escape(environment.name))</tspan>\(Self.escape(heading))</text>"

        var top = Self.panelHeading
        svg += replicasPlot(index, top: top)
        top += Self.replicasHeight + Self.gap
        svg += hourlyPlot(environment, top: top)
        top += Self.costHeight + Self.gap
        svg += periodPlot(environment, top: top)
        svg += timeLabels(bottom: top + Self.costHeight)
        return svg + "</g>"
    }

    private func replicasPlot(_ environment: Int, top: Double) -> String {
        let running = result.running[environment]
        let wanted = result.wanted[environment]
        let maximum = Double(max(running.max() ?? 1, wanted.max() ?? 1))
        let plot = Plot(top: top, bottom: top + Self.replicasHeight, start: fleet.start, end: fleet.end, maximum: maximum * 1.12)
        var svg = plot.frame(yTitle: "Replicas", name: "replicas")
        // One point per bucket of about ten minutes: the mean over the bucket's ticks.
        let bucket = max(1, 600 / fleet.stepSeconds)
        func path(_ values: [Int]) -> String {
            var points: [String] = []
            var tick = 0
            while tick < values.count {
                let slice = values[tick..<min(values.count, tick + bucket)]
                let mean = Double(slice.reduce(0, +)) / Double(slice.count)
                let time = fleet.time(ofTick: tick) + .seconds(Int64(slice.count * fleet.stepSeconds / 2))
                points.append("\(Self.n(plot.x(time))),\(Self.n(plot.y(mean)))")
                tick += bucket
            }
            return "M" + points.joined(separator: "L")
        }
        svg += "<path class=\"wanted\" d=\"\(path(wanted))\" fill=\"none\" stroke=\"\(Self.wantedColor)\" stroke-width=\"1.2\" stroke-dasharray=\"5 4\"/>"
        svg += "<path class=\"running\" d=\"\(path(running))\" fill=\"none\" stroke=\"\(Self.runningColor)\" stroke-width=\"1.8\" stroke-linejoin=\"round\"/>"
        svg += vetoMarkers(environment, plot: plot)
        return svg
    }

    /// One marker per hour with vetoes, red when the cap vetoed any of them, with the count and reasons as a tooltip.
    private func vetoMarkers(_ environment: Int, plot: Plot) -> String {
        struct Hour {
            var cost = 0
            var policy = 0
            var codes: [String: Int] = [:]
        }
        var hours: [Int: Hour] = [:]
        for record in result.records where record.isScaleUp && record.outcome != .allow && fleet.services[record.service].environment == environment {
            let hour = record.tick * fleet.stepSeconds / 3600
            if record.isCostVeto { hours[hour, default: Hour()].cost += 1 } else { hours[hour, default: Hour()].policy += 1 }
            for code in record.reasonCodes { hours[hour, default: Hour()].codes[code, default: 0] += 1 }
        }
        var svg = "<g class=\"vetoes\">"
        for (hour, tally) in hours.sorted(by: { $0.key < $1.key }) {
            let start = fleet.start + .hours(Int64(hour))
            let x = plot.x(start + .minutes(30))
            let color = tally.cost > 0 ? Self.costVetoColor : Self.policyVetoColor
            let reasons = tally.codes.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
            let tooltip = "\(SimulationText.dayHour(start))–\(String(format: "%02d", (start + .hours(1)).civil.hour)):00 UTC: "
                + "\(tally.cost + tally.policy) scale-ups vetoed (\(tally.cost) by cost) — \(reasons)"
            svg += "<path class=\"\(tally.cost > 0 ? "veto-cost" : "veto-policy")\" d=\"M\(Self.n(x - 4)),\(Self.n(plot.top + 1))h8l-4,7z\" fill=\"\(color)\">"
                + "<title>\(Self.escape(tooltip))</title></path>"
        }
        return svg + "</g>"
    }

    private func hourlyPlot(_ environment: SimulationFleet.Environment, top: Double) -> String {
        let figures = spend[environment.index]
        let shown = figures.hours.filter { $0.start >= fleet.start }
        let maximum = max(Self.units(environment.hourlyCap), Self.units(figures.peakHour))
        let plot = Plot(top: top, bottom: top + Self.costHeight, start: fleet.start, end: fleet.end, maximum: maximum * 1.18)
        var svg = plot.frame(yTitle: "USD/h", name: "hourly-cost")
        var d = ""
        for (offset, hour) in shown.enumerated() {
            let y = Self.n(plot.y(Self.units(hour.cost)))
            d += (offset == 0 ? "M" : "L") + "\(Self.n(plot.x(hour.start))),\(y)L\(Self.n(plot.x(hour.start + .hours(1)))),\(y)"
        }
        svg += "<path class=\"hourly-cost\" d=\"\(d)\" fill=\"none\" stroke=\"\(Self.costColor)\" stroke-width=\"1.6\"/>"
        svg += capLine(plot, amount: environment.hourlyCap, label: "hourly_run_rate cap \(environment.hourlyCap.decimalString) USD/h",
                       peak: figures.peakHour, peakAt: figures.peakHourAt + .minutes(30))
        return svg
    }

    private func periodPlot(_ environment: SimulationFleet.Environment, top: Double) -> String {
        let figures = spend[environment.index]
        let maximum = max(Self.units(environment.periodCap), Self.units(figures.peakSpend))
        let plot = Plot(top: top, bottom: top + Self.costHeight, start: fleet.start, end: fleet.end, maximum: maximum * 1.18)
        var svg = plot.frame(yTitle: fleet.period == .day ? "USD per day" : "USD per month", name: "period-spend")
        // One line per period, from its spend at the first hour shown.
        var d = ""
        var period: Timestamp?
        for (hour, soFar) in zip(figures.hours, figures.spendSoFar) where hour.start >= fleet.start {
            let periodStart = fleet.periodStart(containing: hour.start)
            if periodStart != period {
                period = periodStart
                let before = soFar - hour.cost
                d += "M\(Self.n(plot.x(hour.start))),\(Self.n(plot.y(Self.units(before))))"
            }
            d += "L\(Self.n(plot.x(hour.start + .hours(1)))),\(Self.n(plot.y(Self.units(soFar))))"
        }
        svg += "<path class=\"period-spend\" d=\"\(d)\" fill=\"none\" stroke=\"\(Self.spendColor)\" stroke-width=\"1.8\" stroke-linejoin=\"round\"/>"
        svg += capLine(plot, amount: environment.periodCap, label: "period_spend cap \(environment.periodCap.decimalString) USD",
                       peak: figures.peakSpend, peakAt: figures.peakSpendAt)
        return svg
    }

    /// The cap as a dashed red line labelled at the right, and the peak marked with its share of the cap.
    private func capLine(_ plot: Plot, amount: Money, label: String, peak: Money, peakAt: Timestamp) -> String {
        let y = plot.y(Self.units(amount))
        let peakX = plot.x(peakAt)
        // The cap's label at the left of the plot, or at the right when the peak's label would sit there.
        let labelAtLeft = peakX > plot.left + 320
        var svg = "<g class=\"cap\"><line x1=\"\(Self.n(plot.left))\" y1=\"\(Self.n(y))\" x2=\"\(Self.n(plot.right))\" y2=\"\(Self.n(y))\" "
            + "stroke=\"\(Self.capColor)\" stroke-width=\"1.6\" stroke-dasharray=\"7 4\"/>"
            + "<text x=\"\(Self.n(labelAtLeft ? plot.left + 6 : plot.right - 6))\" y=\"\(Self.n(y - 5))\" text-anchor=\"\(labelAtLeft ? "start" : "end")\" "
            + "fill=\"\(Self.capColor)\" font-weight=\"600\"\(Self.halo)>\(Self.escape(label))</text></g>"
        if peak > .zero {
            let peakY = plot.y(Self.units(peak))
            let share = SimulationText.percent(SimulationChecks.ratio(peak, amount))
            let anchor = peakX > plot.right - 260 ? "end" : "start"
            let textX = anchor == "end" ? peakX - 6 : peakX + 6
            // Cents unless the peak is over the cap, where every digit counts.
            let shown = peak > amount ? peak.decimalString : SimulationChart.cents(peak)
            svg += "<g class=\"peak\"><circle cx=\"\(Self.n(peakX))\" cy=\"\(Self.n(peakY))\" r=\"3\" fill=\"\(Self.capColor)\"/>"
                + "<text x=\"\(Self.n(textX))\" y=\"\(Self.n(peakY + 14))\" text-anchor=\"\(anchor)\" fill=\"\(peak > amount ? Self.capColor : Self.muted)\" font-size=\"11\"\(Self.halo)>"
                + "\(Self.escape("peak \(shown) USD = \(share) of the cap"))</text></g>"
        }
        return svg
    }

    private func timeLabels(bottom: Double) -> String {
        let plot = Plot(top: bottom - 1, bottom: bottom, start: fleet.start, end: fleet.end, maximum: 1)
        var svg = "<g class=\"axis x-axis\" fill=\"\(Self.muted)\" text-anchor=\"middle\">"
        for label in plot.timeLabels() {
            let x = plot.x(label.at)
            // Labels at the very edges are anchored inside the picture.
            let anchor = x >= plot.right - 1 ? " text-anchor=\"end\"" : (x <= plot.left + 1 ? " text-anchor=\"start\"" : "")
            svg += "<text x=\"\(Self.n(x))\" y=\"\(Self.n(bottom + 16))\"\(anchor)>\(Self.escape(label.text))</text>"
        }
        svg += "<text x=\"\(Self.n((Self.left + Self.right) / 2))\" y=\"\(Self.n(bottom + 34))\" font-weight=\"600\">Time (UTC)</text>"
        return svg + "</g>"
    }

    // MARK: geometry and text

    struct Plot {
        let left = SimulationChart.left
        let right = SimulationChart.right
        let top: Double
        let bottom: Double
        let start: Timestamp
        let end: Timestamp
        let ticks: [Double]
        let decimals: Int

        init(top: Double, bottom: Double, start: Timestamp, end: Timestamp, maximum: Double) {
            self.top = top
            self.bottom = bottom
            self.start = start
            self.end = end
            (ticks, decimals) = SimulationChart.niceTicks(maximum: maximum)
        }

        var yMaximum: Double { max(ticks.last ?? 1, 1e-9) }

        func x(_ time: Timestamp) -> Double {
            let span = Double(end.microseconds(since: start))
            return left + (right - left) * min(max(Double(time.microseconds(since: start)) / span, 0), 1)
        }

        func y(_ value: Double) -> Double {
            bottom - (bottom - top) * min(max(value / yMaximum, 0), 1.05)
        }

        var spanHours: Double { Double(end.microseconds(since: start)) / Double(Timestamp.microsecondsPerHour) }

        /// Gridlines every midnight (and every 6 hours, lighter; every 3 on short runs).
        func gridTimes() -> [(at: Timestamp, major: Bool)] {
            let minor: Int64 = spanHours <= 48 ? 3 : 6
            var times: [(Timestamp, Bool)] = []
            var time = start.startOfDay
            while time <= end {
                if time >= start { times.append((time, time == time.startOfDay)) }
                time += .hours(minor)
            }
            return times
        }

        /// Day names centred on each day on long runs; hours on runs of two days or less.
        func timeLabels() -> [(at: Timestamp, text: String)] {
            if spanHours <= 48 {
                return gridTimes().map { ($0.at, $0.major ? SimulationText.day($0.at) : String(format: "%02d:00", $0.at.civil.hour)) }
            }
            var labels: [(Timestamp, String)] = []
            var day = start.startOfDay
            while day < end {
                let from = max(day, start)
                let to = min(day + .days(1), end)
                let middle = Timestamp(microsecondsSinceEpoch: (from.microsecondsSinceEpoch + to.microsecondsSinceEpoch) / 2)
                if to.microseconds(since: from) >= Timestamp.microsecondsPerHour * 8 {
                    labels.append((middle, SimulationText.day(day)))
                }
                day += .days(1)
            }
            return labels
        }

        func frame(yTitle: String, name: String) -> String {
            var svg = "<g class=\"plot \(name)\"><rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(right - left))\" height=\"\(n(bottom - top))\" fill=\"#fafafa\"/>"
            svg += "<g class=\"grid\" stroke=\"\(SimulationChart.grid)\" stroke-width=\"1\">"
            for tick in ticks {
                svg += "<line x1=\"\(n(left))\" y1=\"\(n(y(tick)))\" x2=\"\(n(right))\" y2=\"\(n(y(tick)))\"/>"
            }
            for time in gridTimes() {
                let x = n(self.x(time.at))
                svg += "<line x1=\"\(x)\" y1=\"\(n(top))\" x2=\"\(x)\" y2=\"\(n(bottom))\"\(time.major ? " stroke=\"#9ca3af\"" : "")/>"
            }
            svg += "</g><g class=\"axis y-axis\" fill=\"\(SimulationChart.muted)\" text-anchor=\"end\">"
            for tick in ticks {
                svg += "<text x=\"\(n(left - 6))\" y=\"\(n(y(tick) + 4))\">\(SimulationChart.grouped(tick, decimals: decimals))</text>"
            }
            svg += "<text x=\"0\" y=\"0\" text-anchor=\"middle\" font-weight=\"600\" transform=\"translate(18 \(n((top + bottom) / 2))) rotate(-90)\">"
                + "\(SimulationChart.escape(yTitle))</text></g>"
            svg += "<line x1=\"\(n(left))\" y1=\"\(n(bottom))\" x2=\"\(n(right))\" y2=\"\(n(bottom))\" stroke=\"#6b7280\"/></g>"
            return svg
        }

        private func n(_ value: Double) -> String { SimulationChart.n(value) }
    }

    /// Ticks from 0 past `maximum` at a 1-2-5 step, at most five intervals (the dashboard's axes).
    static func niceTicks(maximum: Double) -> ([Double], Int) {
        let (ticks, decimals) = ChartNumber.niceTicks(maximum: maximum, maximumIntervals: 5)
        return (ticks, decimals)
    }

    /// A coordinate with at most one decimal, so the same chart is the same bytes.
    static func n(_ value: Double) -> String { ChartNumber.coordinate(value) }

    static func grouped(_ value: Double, decimals: Int) -> String { ChartNumber.grouped(value, decimals: decimals) }

    static func units(_ money: Money) -> Double { Double(money.nanos) / 1e9 }

    /// An amount rounded half up to the cent ("9.35").
    static func cents(_ money: Money) -> String {
        let cent: Int64 = 10_000_000
        let rounded = (money.nanos + cent / 2) / cent * cent
        return Money(nanos: rounded).decimalString
    }

    static func escape(_ text: String) -> String { HTMLText.escape(text) }
}
