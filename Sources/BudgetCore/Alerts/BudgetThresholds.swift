/// Which of a budget's thresholds its actual spend and forecast have reached.
public enum BudgetThresholds {
    public enum Basis: String, Sendable, Hashable, Codable {
        case actual, forecast
    }

    public struct Crossing: Sendable, Hashable {
        public var basis: Basis
        /// The threshold, in percent of the budget.
        public var percent: Int
        /// The figure that reached it.
        public var value: Money

        public var severity: Severity { percent >= 100 ? .critical : (percent >= 80 ? .warning : .info) }
    }

    /// Every threshold reached (value ≥ percent × amount), actual and forecast.
    public static func crossings(of budget: Budget, actual: Money, forecast: Money) -> [Crossing] {
        var crossings: [Crossing] = []
        for percent in budget.actualThresholds where reached(actual, percent: percent, of: budget.amount) {
            crossings.append(Crossing(basis: .actual, percent: percent, value: actual))
        }
        for percent in budget.forecastThresholds where reached(forecast, percent: percent, of: budget.amount) {
            crossings.append(Crossing(basis: .forecast, percent: percent, value: forecast))
        }
        return crossings
    }

    /// value × 100 ≥ amount × percent, exactly.
    static func reached(_ value: Money, percent: Int, of amount: Money) -> Bool {
        Int128(value.nanos) * 100 >= Int128(amount.nanos) * Int128(percent)
    }
}
