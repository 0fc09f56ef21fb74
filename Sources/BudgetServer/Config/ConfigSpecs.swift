import BudgetCore
import BudgetStore
import Foundation

/// The `spec` of each configuration kind, as written in `Budgets/*.yaml` and sent to the REST routes.
/// Names (tenant, environment, service, object name) come from the path or the document's `metadata`.
enum ConfigSpecs {
    /// A spec that cannot be turned into an object, naming its field.
    struct Invalid: Error {
        var field: String
        var message: String
        var code: String = "invalid_value"
    }

    struct CapSpec: Codable {
        var name: String?
        var enforcement: Enforcement?
        var periodSpend: Money?
        var hourlyRunRate: Money?
        var maxCPUCores: Double?
        var maxMemoryGiB: Double?
        var maxReplicas: Int?

        enum CodingKeys: String, CodingKey {
            case name, enforcement
            case periodSpend = "period_spend"
            case hourlyRunRate = "hourly_run_rate"
            case maxCPUCores = "max_cpu_cores"
            case maxMemoryGiB = "max_memory_gib"
            case maxReplicas = "max_replicas"
        }

        func cap(environment: String, service: String?, defaultName: String) throws -> Cap {
            let name = self.name ?? defaultName
            guard PartitionKey.isValid(name) else { throw Invalid(field: "name", message: "name must match \(PartitionKey.pattern)", code: "invalid_name") }
            guard periodSpend != nil || hourlyRunRate != nil || maxCPUCores != nil || maxMemoryGiB != nil || maxReplicas != nil else {
                throw Invalid(
                    field: "period_spend", message: "a cap needs at least one limit: period_spend, hourly_run_rate, max_cpu_cores, max_memory_gib or max_replicas",
                    code: "missing_field"
                )
            }
            for (value, field) in [(periodSpend, "period_spend"), (hourlyRunRate, "hourly_run_rate")] where (value?.nanos ?? 0) < 0 {
                throw Invalid(field: field, message: "\(field) must not be negative")
            }
            for (value, field) in [(maxCPUCores, "max_cpu_cores"), (maxMemoryGiB, "max_memory_gib")] {
                if let value, !(value.isFinite && value >= 0) { throw Invalid(field: field, message: "\(field) must be a number ≥ 0") }
            }
            if let maxReplicas, !(0...ScalingPolicy.replicaLimit).contains(maxReplicas) {
                throw Invalid(field: "max_replicas", message: "max_replicas must be between 0 and \(ScalingPolicy.replicaLimit)")
            }
            return Cap(
                name: name, environment: environment, service: service, enforcement: enforcement ?? .deny, periodSpend: periodSpend,
                hourlyRunRate: hourlyRunRate, maximumCPUCores: maxCPUCores, maximumMemoryGiB: maxMemoryGiB, maximumReplicas: maxReplicas
            )
        }

        init(_ cap: Cap) {
            name = cap.name
            enforcement = cap.enforcement
            periodSpend = cap.periodSpend
            hourlyRunRate = cap.hourlyRunRate
            maxCPUCores = cap.maximumCPUCores
            maxMemoryGiB = cap.maximumMemoryGiB
            maxReplicas = cap.maximumReplicas
        }
    }

    struct BudgetSpec: Codable {
        var environment: String?
        var service: String?
        var period: PeriodKind?
        var amount: Money?
        var thresholds: Thresholds?
        var enforce: Bool?

        struct Thresholds: Codable {
            var actual: [Int]?
            var forecast: [Int]?
        }

        func budget(name: String, environment pathEnvironment: String?) throws -> Budget {
            guard let environment = environment ?? pathEnvironment else {
                throw Invalid(field: "environment", message: "a budget's scope needs an environment", code: "missing_field")
            }
            guard PartitionKey.isValid(environment) else { throw Invalid(field: "environment", message: "environment must match \(PartitionKey.pattern)", code: "invalid_name") }
            if let service, !PartitionKey.isValid(service) {
                throw Invalid(field: "service", message: "service must match \(PartitionKey.pattern)", code: "invalid_name")
            }
            guard let amount else { throw Invalid(field: "amount", message: "amount is required (a decimal string)", code: "missing_field") }
            guard amount.nanos > 0 else { throw Invalid(field: "amount", message: "amount must be positive") }
            let actual = thresholds?.actual ?? [50, 80, 100]
            let forecast = thresholds?.forecast ?? [100]
            for (list, field) in [(actual, "thresholds.actual"), (forecast, "thresholds.forecast")] where list.contains(where: { $0 < 1 || $0 > 1000 }) {
                throw Invalid(field: field, message: "thresholds are percentages between 1 and 1000")
            }
            return Budget(
                name: name, environment: environment, service: service, period: period ?? .month, amount: amount,
                actualThresholds: Array(Set(actual)).sorted(), forecastThresholds: Array(Set(forecast)).sorted(), enforce: enforce ?? false
            )
        }

        init(_ budget: Budget) {
            environment = budget.environment
            service = budget.service
            period = budget.period
            amount = budget.amount
            thresholds = Thresholds(actual: budget.actualThresholds, forecast: budget.forecastThresholds)
            enforce = budget.enforce
        }
    }

    struct PolicySpec: Codable {
        var minReplicas: Int?
        var maxReplicas: Int?
        var scaleUp: ScalingPolicy.ScaleUp?
        var scaleDown: ScalingPolicy.ScaleDown?
        var allowedSignals: [String]?

        enum CodingKeys: String, CodingKey {
            case minReplicas = "min_replicas"
            case maxReplicas = "max_replicas"
            case scaleUp = "scale_up"
            case scaleDown = "scale_down"
            case allowedSignals = "allowed_signals"
        }

        func policy(environment: String, service: String) throws -> ScalingPolicy {
            guard let minReplicas else { throw Invalid(field: "min_replicas", message: "min_replicas is required (the contract: min replicas MUST be set)", code: "missing_field") }
            guard let maxReplicas else { throw Invalid(field: "max_replicas", message: "max_replicas is required (the contract: max replicas MUST be set)", code: "missing_field") }
            let policy = ScalingPolicy(
                environment: environment, service: service, minimumReplicas: minReplicas, maximumReplicas: maxReplicas,
                scaleUp: scaleUp ?? .init(), scaleDown: scaleDown ?? .init(), allowedSignals: allowedSignals ?? Signal.defaultAllowed
            )
            if let problem = policy.problem { throw Invalid(field: problem.field ?? "spec", message: problem.message, code: problem.code) }
            return policy
        }

        init(_ policy: ScalingPolicy) {
            minReplicas = policy.minimumReplicas
            maxReplicas = policy.maximumReplicas
            scaleUp = policy.scaleUp
            scaleDown = policy.scaleDown
            allowedSignals = policy.allowedSignals
        }
    }

    struct AlertRouteSpec: Codable {
        var url: String?
        var format: AlertRoute.Format?
        var secret: String?
        /// In YAML files: the environment variable holding the secret (secrets stay out of git).
        var secretEnv: String?
        var kinds: [String]?
        var minSeverity: Severity?
        var environments: [String]?

        enum CodingKeys: String, CodingKey {
            case url, format, secret, kinds, environments
            case secretEnv = "secret_env"
            case minSeverity = "min_severity"
        }

        func route(name: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AlertRoute {
            guard let url else { throw Invalid(field: "url", message: "url is required", code: "missing_field") }
            var secret = self.secret
            if let secretEnv {
                guard let value = environment[secretEnv], !value.isEmpty else {
                    throw Invalid(field: "secret_env", message: "environment variable \(secretEnv) is not set", code: "missing_secret")
                }
                secret = value
            }
            let route = AlertRoute(
                name: name, url: url, format: format ?? .chartly, secret: secret, kinds: kinds ?? [], minimumSeverity: minSeverity ?? .info,
                environments: environments ?? []
            )
            if let problem = route.problem { throw Invalid(field: problem.field ?? "spec", message: problem.message, code: problem.code) }
            return route
        }

        /// As shown back: never the secret itself.
        init(_ route: AlertRoute) {
            url = route.url
            format = route.format
            secret = route.secret == nil ? nil : "(set)"
            kinds = route.kinds
            minSeverity = route.minimumSeverity
            environments = route.environments
        }
    }

    struct RateCardSpec: Codable {
        var currency: String?
        var effectiveFrom: String?
        var prices: [String: Price]?

        enum CodingKeys: String, CodingKey {
            case currency, prices
            case effectiveFrom = "effective_from"
        }
    }

    /// A PrometheusMapping's spec: the mapping without its name (from `metadata.name`) and version.
    struct PrometheusMappingSpec: Codable {
        var environment: PrometheusMapping.LabelSource?
        var service: PrometheusMapping.LabelSource?
        var scrapeInterval: String?
        var series: [PrometheusMapping.SeriesRule]?

        enum CodingKeys: String, CodingKey {
            case environment, service, series
            case scrapeInterval = "scrape_interval"
        }

        func mapping(name: String) throws -> PrometheusMapping {
            guard let environment else { throw Invalid(field: "environment", message: "environment is required: the label that names it, e.g. { label: namespace, map: { shop: prod } }", code: "missing_field") }
            guard let service else { throw Invalid(field: "service", message: "service is required: the label that names it, e.g. { label: container }", code: "missing_field") }
            guard let series else { throw Invalid(field: "series", message: "series is required: the metrics to take", code: "missing_field") }
            let mapping = PrometheusMapping(name: name, environment: environment, service: service, scrapeInterval: scrapeInterval, series: series)
            if let problem = mapping.problem { throw Invalid(field: problem.field, message: problem.message) }
            return mapping
        }
    }
}
