import BudgetCore

/// The geometry shared by the dashboard's charts: a time x axis over a period and an amount y axis from 0.
struct ChartFrame {
    static let width = 960.0
    static let fontFamily = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"

    let height: Double
    /// The plot area, in SVG units.
    let left: Double, top: Double, right: Double, bottom: Double
    let start: Timestamp, end: Timestamp
    let yTicks: [Double]
    let yDecimals: Int

    /// A frame whose plot starts below a legend `legendHeight` tall and whose y axis reaches past `maximum`.
    init(height: Double, legendHeight: Double, start: Timestamp, end: Timestamp, maximum: Double) {
        self.height = height
        left = 78
        right = ChartFrame.width - 24
        top = legendHeight + 14
        bottom = height - 46
        self.start = start
        self.end = max(end, start + .hours(1))
        (yTicks, yDecimals) = ChartNumber.niceTicks(maximum: maximum)
    }

    var yMaximum: Double { yTicks.last ?? 1 }

    func x(_ time: Timestamp) -> Double {
        let span = Double(end.microsecondsSinceEpoch - start.microsecondsSinceEpoch)
        let offset = Double(time.microsecondsSinceEpoch - start.microsecondsSinceEpoch)
        return left + (right - left) * min(max(offset / span, 0), 1)
    }

    func y(_ value: Double) -> Double {
        bottom - (bottom - top) * min(max(value / yMaximum, 0), 1.02)
    }

    /// "x,y" for a path.
    func point(_ time: Timestamp, _ value: Double) -> String {
        "\(ChartNumber.coordinate(x(time))),\(ChartNumber.coordinate(y(value)))"
    }

    /// The opening `<svg>` with its accessible name and description (both escaped here).
    func open(id: String, label: String, description: String) -> String {
        let size = "viewBox=\"0 0 \(ChartNumber.coordinate(ChartFrame.width)) \(ChartNumber.coordinate(height))\" "
            + "width=\"\(ChartNumber.coordinate(ChartFrame.width))\" height=\"\(ChartNumber.coordinate(height))\""
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"\(id)\" class=\"chart\" \(size) role=\"img\" "
            + "aria-labelledby=\"\(id)-title \(id)-desc\" aria-label=\"\(HTMLText.escape(label))\" "
            + "font-family=\"\(ChartFrame.fontFamily)\" font-size=\"12\">"
            + "<title id=\"\(id)-title\">\(HTMLText.escape(label))</title>"
            + "<desc id=\"\(id)-desc\">\(HTMLText.escape(description))</desc>"
    }

    /// Gridlines, tick labels and axis titles: `yTitle` names the unit ("USD"), the x axis is UTC dates.
    func axes(yTitle: String) -> String {
        var svg = "<g class=\"grid\" stroke=\"#e5e7eb\" stroke-width=\"1\">"
        for tick in yTicks {
            let y = ChartNumber.coordinate(self.y(tick))
            svg += "<line x1=\"\(ChartNumber.coordinate(left))\" y1=\"\(y)\" x2=\"\(ChartNumber.coordinate(right))\" y2=\"\(y)\"/>"
        }
        let timeTicks = TimeTicks.ticks(from: start, to: end)
        for tick in timeTicks {
            let x = ChartNumber.coordinate(self.x(tick.at))
            svg += "<line x1=\"\(x)\" y1=\"\(ChartNumber.coordinate(top))\" x2=\"\(x)\" y2=\"\(ChartNumber.coordinate(bottom))\"/>"
        }
        svg += "</g><g class=\"axis y-axis\" fill=\"#4b5563\" text-anchor=\"end\">"
        for tick in yTicks {
            svg += "<text x=\"\(ChartNumber.coordinate(left - 8))\" y=\"\(ChartNumber.coordinate(y(tick) + 4))\">"
                + "\(ChartNumber.grouped(tick, decimals: yDecimals))</text>"
        }
        let middle = ChartNumber.coordinate((top + bottom) / 2)
        svg += "<text class=\"axis-title\" x=\"0\" y=\"0\" text-anchor=\"middle\" font-weight=\"600\" "
            + "transform=\"translate(16 \(middle)) rotate(-90)\">\(HTMLText.escape(yTitle))</text>"
        svg += "</g><g class=\"axis x-axis\" fill=\"#4b5563\" text-anchor=\"middle\">"
        for tick in timeTicks {
            svg += "<text x=\"\(ChartNumber.coordinate(x(tick.at)))\" y=\"\(ChartNumber.coordinate(bottom + 18))\">"
                + "\(HTMLText.escape(tick.label))</text>"
        }
        svg += "<text class=\"axis-title\" x=\"\(ChartNumber.coordinate((left + right) / 2))\" "
            + "y=\"\(ChartNumber.coordinate(bottom + 38))\" font-weight=\"600\">Date (UTC)</text></g>"
        svg += "<line class=\"baseline\" x1=\"\(ChartNumber.coordinate(left))\" y1=\"\(ChartNumber.coordinate(bottom))\" "
            + "x2=\"\(ChartNumber.coordinate(right))\" y2=\"\(ChartNumber.coordinate(bottom))\" stroke=\"#6b7280\"/>"
        return svg
    }

    /// A dotted vertical line at `now`, labelled, when it falls inside the period.
    func nowMarker(_ now: Timestamp) -> String {
        guard now > start, now < end else { return "" }
        let x = ChartNumber.coordinate(self.x(now))
        return "<g class=\"now\"><line x1=\"\(x)\" y1=\"\(ChartNumber.coordinate(top))\" x2=\"\(x)\" "
            + "y2=\"\(ChartNumber.coordinate(bottom))\" stroke=\"#6b7280\" stroke-dasharray=\"1 3\"/>"
            + "<text x=\"\(x)\" y=\"\(ChartNumber.coordinate(top - 4))\" text-anchor=\"middle\" fill=\"#6b7280\" "
            + "font-size=\"11\">now</text></g>"
    }

    /// An anomaly marker: a small triangle pointing down at (x, y), with its explanation as a tooltip.
    static func anomalyMarker(x: Double, y: Double, tooltip: String, service: String?) -> String {
        let serviceAttribute = service.map { " data-service=\"\(HTMLText.escape($0))\"" } ?? ""
        return "<g class=\"anomaly\"\(serviceAttribute)><title>\(HTMLText.escape(tooltip))</title>"
            + "<path d=\"M\(ChartNumber.coordinate(x - 6)),\(ChartNumber.coordinate(y - 11))h12l-6,10z\" "
            + "fill=\"#9333ea\" stroke=\"#fff\" stroke-width=\"1\"/></g>"
    }

    /// "Nov 5 14:00 UTC · api: cost grew 3× over its baseline".
    static func anomalyTooltip(_ anomaly: AnomalyMarker) -> String {
        let subject = anomaly.service.map { "\($0): " } ?? ""
        return "Anomaly \(DisplayFormat.dateTime(anomaly.at)) · \(subject)\(anomaly.message)"
    }
}
