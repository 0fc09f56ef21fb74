/// An amount for a scope (an environment, or a service in it) and a period, with alert thresholds.
///
/// With `enforce`, the budget takes part in decisions ("budget-aware scaling limits"): its forecast
/// then acts like a cap.
public struct Budget: Sendable, Hashable, Codable {
    public var name: String
    public var environment: String
    public var service: String?
    public var period: PeriodKind
    public var amount: Money
    /// Percentages of the amount at which actual spend raises an alert (e.g. 50, 80, 100).
    public var actualThresholds: [Int]
    /// Percentages of the amount at which the forecast raises an alert.
    public var forecastThresholds: [Int]
    /// Whether the budget's forecast vetoes scale-ups like a `deny` cap.
    public var enforce: Bool
    public var version: Int

    public init(
        name: String, environment: String, service: String? = nil, period: PeriodKind = .month, amount: Money,
        actualThresholds: [Int] = [50, 80, 100], forecastThresholds: [Int] = [100], enforce: Bool = false, version: Int = 1
    ) {
        self.name = name
        self.environment = environment
        self.service = service
        self.period = period
        self.amount = amount
        self.actualThresholds = actualThresholds
        self.forecastThresholds = forecastThresholds
        self.enforce = enforce
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case name, environment, service, period, amount, enforce, version
        case actualThresholds = "actual_thresholds"
        case forecastThresholds = "forecast_thresholds"
    }
}
