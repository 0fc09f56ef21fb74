import BudgetCore

/// Cost per bucket by service over the period, as stacked areas (largest service at the bottom).
enum ServiceChart {
    static let height = 340.0

    static func svg(_ view: EnvironmentView) -> String {
        let longPeriod = view.periodEnd - view.periodStart > .days(3)
        let stack = ServiceStack(series: view.serviceSeries, defaultBucketLength: longPeriod ? .days(1) : .hours(1))
        let tops = stack.buckets.indices.map { stack.cumulative(through: stack.layers.count - 1, at: $0) }
        let legend = legend(stack, anomalies: !view.anomalies.isEmpty)
        let frame = ChartFrame(
            height: height, legendHeight: legend.height, start: view.periodStart, end: view.periodEnd,
            maximum: (tops.max() ?? 0) * 1.08
        )
        var svg = frame.open(id: "service-chart", label: label(view), description: description(view, stack))
        svg += legend.svg + frame.axes(yTitle: "\(view.currency.code) \(stack.unit)")

        if stack.layers.isEmpty || stack.buckets.isEmpty {
            svg += "<text class=\"empty\" x=\"\(ChartNumber.coordinate((frame.left + frame.right) / 2))\" "
                + "y=\"\(ChartNumber.coordinate((frame.top + frame.bottom) / 2))\" text-anchor=\"middle\" fill=\"#6b7280\">"
                + "No cost recorded in this period yet</text>"
            return svg + frame.nowMarker(view.now) + "</svg>"
        }
        let points = outline(stack, now: view.now)
        svg += "<g class=\"areas\">"
        for (position, layer) in stack.layers.enumerated() {
            let upper = points.map { frame.point($0.at, stack.cumulative(through: position, at: $0.bucket)) }
            let lower = points.reversed().map { frame.point($0.at, position == 0 ? 0 : stack.cumulative(through: position - 1, at: $0.bucket)) }
            let tooltip = "\(layer.name): \(DisplayFormat.amount(layer.total, view.currency)) in the period so far"
            svg += "<path class=\"service-area\" data-service=\"\(HTMLText.escape(layer.name))\" "
                + "d=\"M\(upper.joined(separator: "L"))L\(lower.joined(separator: "L"))z\" fill=\"\(layer.color)\" "
                + "fill-opacity=\"0.85\" stroke=\"#fff\" stroke-width=\"0.75\"><title>\(HTMLText.escape(tooltip))</title></path>"
        }
        svg += "</g>" + frame.nowMarker(view.now)
        for anomaly in view.anomalies {
            // On the top edge of the service's band (the whole stack for other services), where it is drawn.
            let layer = stack.layers.firstIndex { $0.name == anomaly.service } ?? (stack.layers.count - 1)
            guard let top = height(of: layer, at: anomaly.at, along: points, in: stack) else { continue }
            svg += ChartFrame.anomalyMarker(
                x: frame.x(anomaly.at), y: frame.y(top),
                tooltip: ChartFrame.anomalyTooltip(anomaly), service: anomaly.service
            )
        }
        return svg + "</svg>"
    }

    /// Where the stack is drawn: each bucket's value at its middle, held flat out to the first bucket's start
    /// and to the last bucket's end (or now, if that comes first).
    private static func outline(_ stack: ServiceStack, now: Timestamp) -> [(at: Timestamp, bucket: Int)] {
        let half = TimeSpan(microseconds: stack.bucketLength.microseconds / 2)
        guard let first = stack.buckets.first, let last = stack.buckets.last else { return [] }
        var points = [(at: first, bucket: 0)] + stack.buckets.enumerated().map { ($1 + half, $0) }
        let end = min(last + stack.bucketLength, max(now, last + half))
        if end > last + half { points.append((end, stack.buckets.count - 1)) }
        return points
    }

    /// The top of `layer` at `time` on the drawn outline, or nil outside it.
    private static func height(of layer: Int, at time: Timestamp, along points: [(at: Timestamp, bucket: Int)], in stack: ServiceStack) -> Double? {
        for (from, to) in zip(points, points.dropFirst()) where from.at <= time && time <= to.at {
            let span = Double(to.at.microsecondsSinceEpoch - from.at.microsecondsSinceEpoch)
            let fraction = span > 0 ? Double(time.microsecondsSinceEpoch - from.at.microsecondsSinceEpoch) / span : 0
            let low = stack.cumulative(through: layer, at: from.bucket)
            return low + (stack.cumulative(through: layer, at: to.bucket) - low) * fraction
        }
        return nil
    }

    private static func legend(_ stack: ServiceStack, anomalies: Bool) -> ChartLegend {
        var items = stack.layers.map { ChartLegend.Item(label: $0.name, swatch: .area(color: $0.color)) }
        if anomalies { items.append(.init(label: "Anomaly", swatch: .marker(color: SpendChart.anomalyColor))) }
        return ChartLegend(items: items)
    }

    private static func label(_ view: EnvironmentView) -> String {
        "Cost by service for \(view.environment), \(DisplayFormat.period(start: view.periodStart, end: view.periodEnd))"
    }

    private static func description(_ view: EnvironmentView, _ stack: ServiceStack) -> String {
        guard !stack.layers.isEmpty else { return "No cost recorded in this period yet." }
        let parts = stack.layers.map { "\($0.name) \(DisplayFormat.amount($0.total, view.currency))" }
        return "Stacked cost \(stack.unit) in \(view.currency.code): " + parts.joined(separator: ", ") + "."
    }
}
