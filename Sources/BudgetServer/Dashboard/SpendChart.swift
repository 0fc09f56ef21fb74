import BudgetCore

/// The environment's spend over the period against its budget and cap, as an SVG line chart.
///
/// Cumulative spend is a solid line up to now, the forecast a dashed line from now to the period's end,
/// the budget and the cap horizontal lines; anomalies are triangles on the spend line.
enum SpendChart {
    static let height = 340.0
    static let spendColor = "#2563eb"
    static let budgetColor = "#d97706"
    static let capColor = "#dc2626"
    static let anomalyColor = "#9333ea"
    static let budgetDash = "8 4 2 4"
    static let forecastDash = "7 5"

    static func svg(_ view: EnvironmentView) -> String {
        let points = spendPoints(view)
        var amounts = points.map { units($0.amount) } + [units(view.forecast), units(view.spendSoFar)]
        amounts += [view.budget, view.cap].compactMap { $0.map(units) }
        let legend = legend(view)
        let frame = ChartFrame(
            height: height, legendHeight: legend.height, start: view.periodStart, end: view.periodEnd,
            maximum: (amounts.max() ?? 0) * 1.08
        )
        var svg = frame.open(id: "spend-chart", label: label(view), description: description(view))
        svg += legend.svg + frame.axes(yTitle: view.currency.code)

        let line = points.map { frame.point($0.at, units($0.amount)) }.joined(separator: "L")
        let baseline = ChartNumber.coordinate(frame.bottom)
        if let first = points.first, let last = points.last {
            svg += "<path class=\"spend-area\" d=\"M\(ChartNumber.coordinate(frame.x(first.at))),\(baseline)L\(line)"
                + "L\(ChartNumber.coordinate(frame.x(last.at))),\(baseline)z\" fill=\"\(spendColor)\" fill-opacity=\"0.08\"/>"
        }
        svg += limitLines(view, frame: frame)
        svg += frame.nowMarker(view.now)
        svg += "<path class=\"spend-line\" d=\"M\(line)\" fill=\"none\" stroke=\"\(spendColor)\" stroke-width=\"2.5\" "
            + "stroke-linejoin=\"round\" stroke-linecap=\"round\"/>"
        svg += forecast(view, frame: frame)
        for anomaly in view.anomalies {
            let at = min(max(anomaly.at, view.periodStart), view.periodEnd)
            svg += ChartFrame.anomalyMarker(
                x: frame.x(at), y: frame.y(amount(at: at, on: points, view: view)),
                tooltip: ChartFrame.anomalyTooltip(anomaly), service: anomaly.service
            )
        }
        return svg + "</svg>"
    }

    /// Money as a plain number of currency units, for coordinates only.
    static func units(_ money: Money) -> Double {
        Double(money.nanos) / Double(Money.nanosPerUnit)
    }

    /// The cumulative series from the period's start (at zero) to now (at spend so far).
    static func spendPoints(_ view: EnvironmentView) -> [CostPoint] {
        let end = min(max(view.now, view.periodStart), view.periodEnd)
        var points = view.cumulativeSpend.filter { $0.at >= view.periodStart && $0.at <= end }.sorted { $0.at < $1.at }
        if points.first.map({ $0.at > view.periodStart }) ?? true {
            points.insert(CostPoint(at: view.periodStart, amount: .zero), at: 0)
        }
        if let last = points.last, last.at < end {
            points.append(CostPoint(at: end, amount: view.spendSoFar))
        }
        return points
    }

    private static func legend(_ view: EnvironmentView) -> ChartLegend {
        var items = [
            ChartLegend.Item(label: "Spend so far", swatch: .line(color: spendColor, dash: nil, width: 2.5)),
            ChartLegend.Item(label: "Forecast", swatch: .line(color: spendColor, dash: forecastDash, width: 2)),
        ]
        if view.budget != nil { items.append(.init(label: "Budget", swatch: .line(color: budgetColor, dash: budgetDash, width: 2))) }
        if view.cap != nil { items.append(.init(label: "Cap", swatch: .line(color: capColor, dash: nil, width: 2))) }
        if !view.anomalies.isEmpty { items.append(.init(label: "Anomaly", swatch: .marker(color: anomalyColor))) }
        return ChartLegend(items: items)
    }

    /// The budget and cap as horizontal lines, each labelled with its amount at the left of the plot.
    private static func limitLines(_ view: EnvironmentView, frame: ChartFrame) -> String {
        let limits: [(name: String, amount: Money, color: String, dash: String?)] = [
            view.cap.map { ("Cap", $0, capColor, nil) },
            view.budget.map { ("Budget", $0, budgetColor, budgetDash) },
        ].compactMap { $0 }
        var svg = ""
        var lineAbove: Double?
        for limit in limits.sorted(by: { $0.amount > $1.amount }) {
            let y = frame.y(units(limit.amount))
            let dash = limit.dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
            // A label sits above its line, or below it when the line above leaves no room.
            let labelY = lineAbove.map { y - $0 < 17 } ?? false ? y + 15 : y - 5
            lineAbove = y
            svg += "<g class=\"\(limit.name.lowercased())-line\">"
                + "<line x1=\"\(ChartNumber.coordinate(frame.left))\" y1=\"\(ChartNumber.coordinate(y))\" "
                + "x2=\"\(ChartNumber.coordinate(frame.right))\" y2=\"\(ChartNumber.coordinate(y))\" stroke=\"\(limit.color)\" "
                + "stroke-width=\"2\"\(dash)/>"
                + "<text x=\"\(ChartNumber.coordinate(frame.left + 6))\" y=\"\(ChartNumber.coordinate(labelY))\" fill=\"\(limit.color)\" "
                + "font-weight=\"600\">\(limit.name) \(DisplayFormat.amount(limit.amount, view.currency))</text></g>"
        }
        return svg
    }

    /// The dashed forecast from now's spend to the period end's forecast, its end labelled.
    private static func forecast(_ view: EnvironmentView, frame: ChartFrame) -> String {
        let from = min(max(view.now, view.periodStart), view.periodEnd)
        let endX = frame.x(view.periodEnd)
        let endY = frame.y(units(view.forecast))
        var svg = "<g class=\"forecast\"><path class=\"forecast-line\" d=\"M\(frame.point(from, units(view.spendSoFar)))"
            + "L\(ChartNumber.coordinate(endX)),\(ChartNumber.coordinate(endY))\" fill=\"none\" stroke=\"\(spendColor)\" "
            + "stroke-width=\"2\" stroke-dasharray=\"\(forecastDash)\"/>"
            + "<circle cx=\"\(ChartNumber.coordinate(endX))\" cy=\"\(ChartNumber.coordinate(endY))\" r=\"3.5\" fill=\"\(spendColor)\"/>"
        // Above the point unless that leaves the plot or runs into the budget or cap line.
        let lines = [view.budget, view.cap].compactMap { $0.map { frame.y(units($0)) } }
        let fits = { (baseline: Double) in
            baseline - 12 >= frame.top && baseline + 4 <= frame.bottom && !lines.contains { $0 > baseline - 13 && $0 < baseline + 5 }
        }
        let labelY = [endY - 9, endY + 19, endY - 24, endY + 34].first(where: fits) ?? endY - 9
        svg += "<text x=\"\(ChartNumber.coordinate(endX - 4))\" y=\"\(ChartNumber.coordinate(labelY))\" text-anchor=\"end\" "
            + "fill=\"\(spendColor)\" font-weight=\"600\">Forecast \(DisplayFormat.amount(view.forecast, view.currency))</text>"
        return svg + "</g>"
    }

    /// The spend at `time`: interpolated on the spend line up to now, on the forecast after it.
    private static func amount(at time: Timestamp, on points: [CostPoint], view: EnvironmentView) -> Double {
        var previous = points.first ?? CostPoint(at: view.periodStart, amount: .zero)
        for point in points {
            if point.at >= time {
                return interpolate(time, from: (previous.at, units(previous.amount)), to: (point.at, units(point.amount)))
            }
            previous = point
        }
        return interpolate(time, from: (previous.at, units(previous.amount)), to: (view.periodEnd, units(view.forecast)))
    }

    private static func interpolate(_ time: Timestamp, from: (Timestamp, Double), to: (Timestamp, Double)) -> Double {
        let span = Double(to.0.microsecondsSinceEpoch - from.0.microsecondsSinceEpoch)
        guard span > 0 else { return to.1 }
        let fraction = Double(time.microsecondsSinceEpoch - from.0.microsecondsSinceEpoch) / span
        return from.1 + (to.1 - from.1) * min(max(fraction, 0), 1)
    }

    private static func label(_ view: EnvironmentView) -> String {
        "Spend vs budget and cap for \(view.environment), \(DisplayFormat.period(start: view.periodStart, end: view.periodEnd))"
    }

    private static func description(_ view: EnvironmentView) -> String {
        var parts = ["Spend so far \(DisplayFormat.amount(view.spendSoFar, view.currency))"]
        parts.append("forecast \(DisplayFormat.amount(view.forecast, view.currency)) by \(DisplayFormat.dayWithYear(view.periodEnd))")
        if let budget = view.budget { parts.append("budget \(DisplayFormat.amount(budget, view.currency))") }
        if let cap = view.cap { parts.append("cap \(DisplayFormat.amount(cap, view.currency))") }
        if !view.anomalies.isEmpty { parts.append("\(view.anomalies.count) anomalies marked") }
        return parts.joined(separator: "; ") + "."
    }
}
