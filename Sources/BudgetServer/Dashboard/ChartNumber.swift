import Foundation

/// Numbers in charts: compact, deterministic coordinates and "nice" axis ticks.
public enum ChartNumber {
    /// A coordinate with at most one decimal ("12", "12.5"), so the same chart is always the same bytes.
    public static func coordinate(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let tenths = Int64((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        let magnitude = tenths.magnitude
        return magnitude % 10 == 0 ? "\(sign)\(magnitude / 10)" : "\(sign)\(magnitude / 10).\(magnitude % 10)"
    }

    /// `value` with `decimals` decimals and "," between thousands ("12,500", "0.25").
    public static func grouped(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return "–" }
        var scale: Double = 1
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e18 else { return "\(value)" }
        let units = UInt64(scaled)
        let divisor = UInt64(scale)
        let digits = String(units / divisor)
        var integer = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { integer += "," }
            integer.append(digit)
        }
        var text = (value < 0 && units != 0 ? "-" : "") + integer
        if decimals > 0 {
            let fraction = String(units % divisor)
            text += "." + String(repeating: "0", count: decimals - fraction.count) + fraction
        }
        return text
    }

    /// Ticks from 0 to just past `maximum` at a 1-2-5 step: the finest step that needs at most `maximumIntervals`.
    public static func niceTicks(maximum: Double, maximumIntervals: Int = 7) -> (ticks: [Double], decimals: Int) {
        let top = maximum.isFinite && maximum > 0 ? maximum : 1
        var power = Int(floor(log10(top / Double(maximumIntervals))))
        var step = 0.0
        search: while true {
            for multiplier in [1.0, 2.0, 5.0] {
                step = multiplier * pow(10.0, Double(power))
                if intervals(top, step) <= maximumIntervals { break search }
            }
            power += 1
        }
        let ticks = (0...intervals(top, step)).map { Double($0) * step }
        return (ticks, max(0, -power))
    }

    /// How many steps of `step` reach `top` (at least one).
    private static func intervals(_ top: Double, _ step: Double) -> Int {
        max(Int((top / step - 1e-9).rounded(.up)), 1)
    }
}
