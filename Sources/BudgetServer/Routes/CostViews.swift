import BudgetCore
import BudgetStore

/// `GET …/costs` as JSON.
struct CostReportView: Encodable {
    struct Point: Encodable {
        var start: Timestamp
        var cost: Money
    }

    struct Series: Encodable {
        var key: String
        var total: Money
        var points: [Point]

        init(_ series: CostReport.Series) {
            key = series.key
            total = series.total
            points = series.points.map { Point(start: $0.start, cost: $0.cost) }
        }
    }

    struct Unpriced: Encodable {
        var resource: String
        var quantity: Double
        var unit: String
    }

    struct Billed: Encodable {
        var billedTotal: Money
        var effectiveTotal: Money
        /// estimate − billed over the range (positive: the estimate is above the bill).
        var estimateMinusBilled: Money
        var series: [Series]

        enum CodingKeys: String, CodingKey {
            case series
            case billedTotal = "billed_total"
            case effectiveTotal = "effective_total"
            case estimateMinusBilled = "estimate_minus_billed"
        }
    }

    var currency: String?
    var from: Timestamp
    var to: Timestamp
    var step: String
    var groupBy: String
    var total: Money
    var series: [Series]
    var rateCardVersions: [Int]
    var unpriced: [Unpriced]
    var billed: Billed?

    enum CodingKeys: String, CodingKey {
        case currency, from, to, step, total, series, unpriced, billed
        case groupBy = "group_by"
        case rateCardVersions = "rate_card_versions"
    }

    init(_ report: CostReport, query: CostQuery) {
        currency = report.currency?.code
        from = report.from
        to = report.to
        step = query.step.rawValue
        groupBy = query.groupBy.rawValue
        total = report.total
        series = report.series.map(Series.init)
        rateCardVersions = report.rateVersions
        unpriced = report.unpriced.map(UnpricedUsage.view)
        if let billedSeries = report.billed, let billedTotal = report.billedTotal, let effective = report.effectiveTotal {
            billed = Billed(
                billedTotal: billedTotal, effectiveTotal: effective,
                estimateMinusBilled: Money(nanos: report.total.nanos - billedTotal.nanos), series: billedSeries.map(Series.init)
            )
        }
    }
}

enum UnpricedUsage {
    static func view(_ unpriced: CostReport.Unpriced) -> CostReportView.Unpriced {
        let unit: String
        switch unpriced.resource {
        case .cpuCores: unit = "core-hours"
        case .memoryGiB, .storageGiB: unit = "GiB-hours"
        case .replicas: unit = "replica-hours"
        case .egressGiB: unit = "GiB"
        case .requests: unit = "requests"
        }
        return .init(resource: unpriced.resource.rawValue, quantity: unpriced.quantity, unit: unit)
    }
}

/// `GET …/environments/{environment}/status` as JSON.
struct EnvironmentStatusView: Encodable {
    struct Period: Encodable {
        var kind: String
        var start: Timestamp
        var end: Timestamp
        var hoursLeft: Double

        enum CodingKeys: String, CodingKey {
            case kind, start, end
            case hoursLeft = "hours_left"
        }
    }

    struct Service: Encodable {
        var service: String
        var spendSoFar: Money
        var runRatePerHour: Money

        enum CodingKeys: String, CodingKey {
            case service
            case spendSoFar = "spend_so_far"
            case runRatePerHour = "run_rate_per_hour"
        }
    }

    var tenant: String
    var environment: String
    var currency: String?
    var asOf: Timestamp
    var period: Period
    var spendSoFar: Money
    var runRatePerHour: Money
    var runRateHour: Timestamp
    var forecast: Money
    var services: [Service]
    var unpriced: [CostReportView.Unpriced]
    var rateCardVersions: [Int]
    var anomalyDetection: AnomalyDetectionView?
    /// The environment-wide budget and cap (null when unset), and cap (or budget) minus forecast.
    var budget: Money?
    var budgetName: String?
    var cap: Money?
    var capName: String?
    var headroom: Money?

    enum CodingKeys: String, CodingKey {
        case tenant, environment, currency, period, forecast, services, unpriced, budget, cap, headroom
        case budgetName = "budget_name"
        case capName = "cap_name"
        case anomalyDetection = "anomaly_detection"
        case asOf = "as_of"
        case spendSoFar = "spend_so_far"
        case runRatePerHour = "run_rate_per_hour"
        case runRateHour = "run_rate_hour"
        case rateCardVersions = "rate_card_versions"
    }

    init(_ status: EnvironmentStatus, limits: EnvironmentLimits? = nil, detector: AnomalyDetectionView? = nil) {
        anomalyDetection = detector
        budget = limits?.budget
        budgetName = limits?.budgetName
        cap = limits?.cap
        capName = limits?.capName
        headroom = limits?.headroom
        tenant = status.tenant
        environment = status.environment
        currency = status.currency?.code
        asOf = status.now
        period = Period(
            kind: status.period.kind.rawValue, start: status.projection.periodStart, end: status.projection.periodEnd,
            hoursLeft: (status.projection.hoursLeft * 1_000_000).rounded() / 1_000_000
        )
        spendSoFar = status.projection.spendSoFar
        runRatePerHour = status.projection.runRatePerHour
        runRateHour = status.runRateHour
        forecast = status.projection.forecast
        services = status.services.map { Service(service: $0.service, spendSoFar: $0.spendSoFar, runRatePerHour: $0.runRatePerHour) }
        unpriced = status.unpriced.map(UnpricedUsage.view)
        rateCardVersions = status.rateVersions
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tenant, forKey: .tenant)
        try container.encode(environment, forKey: .environment)
        try container.encode(currency, forKey: .currency)
        try container.encode(asOf, forKey: .asOf)
        try container.encode(period, forKey: .period)
        try container.encode(spendSoFar, forKey: .spendSoFar)
        try container.encode(runRatePerHour, forKey: .runRatePerHour)
        try container.encode(runRateHour, forKey: .runRateHour)
        try container.encode(forecast, forKey: .forecast)
        try container.encode(budget, forKey: .budget)
        try container.encode(budgetName, forKey: .budgetName)
        try container.encode(cap, forKey: .cap)
        try container.encode(capName, forKey: .capName)
        try container.encode(headroom, forKey: .headroom)
        try container.encode(services, forKey: .services)
        try container.encode(unpriced, forKey: .unpriced)
        try container.encode(rateCardVersions, forKey: .rateCardVersions)
        try container.encodeIfPresent(anomalyDetection, forKey: .anomalyDetection)
    }
}

/// Whether growth alerts are live for the environment, or the detector is still learning (cold start).
struct AnomalyDetectionView: Encodable {
    var state: String
    var hoursObserved: Int
    var hoursUntilReady: Int
    var message: String

    enum CodingKeys: String, CodingKey {
        case state, message
        case hoursObserved = "hours_observed"
        case hoursUntilReady = "hours_until_ready"
    }

    init(_ detector: AnomalyState?, configuration: AnomalyConfiguration) {
        let observed = detector?.history ?? 0
        hoursObserved = observed
        hoursUntilReady = max(0, configuration.minimumHistory - observed)
        if hoursUntilReady > 0 {
            state = "learning"
            message = "learning the baseline: no growth alerts before \(configuration.minimumHistory) hours of history (\(hoursUntilReady) to go)"
        } else if detector?.isOpen == true {
            state = "anomaly"
            message = "abnormal growth is open for this environment"
        } else {
            state = "watching"
            message = "watching for abnormal growth"
        }
    }
}
