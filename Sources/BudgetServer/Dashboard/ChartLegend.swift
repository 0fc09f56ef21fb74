/// A chart's legend: one swatch and label per series, laid out in rows above the plot.
struct ChartLegend {
    enum Swatch {
        case line(color: String, dash: String?, width: Double)
        case area(color: String)
        case marker(color: String)
    }

    struct Item {
        var label: String
        var swatch: Swatch
    }

    static let rowHeight = 20.0
    static let maximumLabelLength = 26

    var items: [Item]

    /// Items laid out left to right, wrapping within the chart's width: (x, row) per item.
    private var layout: [(x: Double, row: Int)] {
        var x = 78.0
        var row = 0
        var positions: [(x: Double, row: Int)] = []
        for item in items {
            let width = 26 + Double(Self.shortened(item.label).count) * 6.6 + 20
            if x + width > ChartFrame.width - 16, x > 78 {
                x = 78
                row += 1
            }
            positions.append((x, row))
            x += width
        }
        return positions
    }

    /// The height the legend takes at the top of the chart.
    var height: Double {
        Double((layout.last?.row ?? -1) + 1) * Self.rowHeight
    }

    var svg: String {
        var svg = "<g class=\"legend\" fill=\"#111827\">"
        for (item, position) in zip(items, layout) {
            let x = position.x
            let y = 4 + Double(position.row) * Self.rowHeight
            let middle = ChartNumber.coordinate(y + 7)
            // A shortened label keeps its full text as a tooltip.
            let tooltip = Self.shortened(item.label) == item.label ? "" : "<title>\(HTMLText.escape(item.label))</title>"
            svg += "<g class=\"legend-item\">\(tooltip)"
            switch item.swatch {
            case .line(let color, let dash, let width):
                let dashAttribute = dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
                svg += "<line x1=\"\(ChartNumber.coordinate(x))\" y1=\"\(middle)\" x2=\"\(ChartNumber.coordinate(x + 20))\" "
                    + "y2=\"\(middle)\" stroke=\"\(color)\" stroke-width=\"\(ChartNumber.coordinate(width))\"\(dashAttribute)/>"
            case .area(let color):
                svg += "<rect x=\"\(ChartNumber.coordinate(x + 3))\" y=\"\(ChartNumber.coordinate(y + 1))\" width=\"14\" "
                    + "height=\"12\" rx=\"2\" fill=\"\(color)\"/>"
            case .marker(let color):
                svg += "<path d=\"M\(ChartNumber.coordinate(x + 4)),\(ChartNumber.coordinate(y + 2))h12l-6,10z\" fill=\"\(color)\"/>"
            }
            svg += "<text x=\"\(ChartNumber.coordinate(x + 26))\" y=\"\(ChartNumber.coordinate(y + 11))\">"
                + "\(HTMLText.escape(Self.shortened(item.label)))</text></g>"
        }
        return svg + "</g>"
    }

    /// Long names are cut with an ellipsis so a legend stays on a line or two.
    static func shortened(_ label: String) -> String {
        label.count <= maximumLabelLength ? label : String(label.prefix(maximumLabelLength - 1)) + "…"
    }
}
