import BudgetCore
import BudgetStore
import Hummingbird

/// `GET …/costs` and `GET …/environments/{environment}/status`.
struct CostRoutes {
    let store: BudgetStore
    let anomaly: AnomalyConfiguration

    func register(on routes: RouteRegistry) {
        routes.add(.get, "/v1/tenants/{tenant}/costs") { request, context in
            let tenant = try context.tenant()
            _ = try context.require(.read, on: tenant)
            let query = try Self.costQuery(tenant: tenant, request.uri.queryParameters, now: Timestamp.now(), store: store)
            if query.step == .hour, let horizon = try await store.retentionHorizon(tenant: tenant, parent: "cost_hourly"), query.from < horizon {
                throw APIError(
                    .badRequest, code: "compacted",
                    message: "hourly costs before \(horizon.rfc3339.prefix(10)) were compacted to daily by retention; use step=1d or a later from",
                    field: "from"
                )
            }
            let report = try await store.costs(query)
            return try JSONResponse(CostReportView(report, query: query)).response
        }
        routes.add(.get, "/v1/tenants/{tenant}/environments/{environment}/status") { _, context in
            let tenant = try context.tenant()
            _ = try context.require(.read, on: tenant)
            let environment = try context.name("environment")
            let status = try await store.environmentStatus(tenant: tenant, environment: environment, now: Timestamp.now())
            let detector = try await store.anomalyState(tenant: tenant, environment: environment)
            let limits = try await EnvironmentLimits.load(store: store, tenant: tenant, environment: environment, forecast: status.projection.forecast)
            let view = EnvironmentStatusView(status, limits: limits, detector: AnomalyDetectionView(detector, configuration: anomaly))
            return try JSONResponse(view).response
        }
    }

    static func costQuery(tenant: String, _ parameters: Parameters, now: Timestamp, store: BudgetStore) throws -> CostQuery {
        let step: CostQuery.Step
        switch parameters.get("step") ?? "1d" {
        case "1h": step = .hour
        case "1d": step = .day
        default: throw APIError(.badRequest, code: "invalid_value", message: "step must be 1h or 1d", field: "step")
        }
        guard let grouping = CostQuery.Grouping(rawValue: parameters.get("group_by") ?? "service") else {
            throw APIError(.badRequest, code: "invalid_value", message: "group_by must be service, environment, resource or none", field: "group_by")
        }
        let from = try QueryParameters.timestamp(parameters, "from") ?? now.startOfMonth
        let to = try QueryParameters.timestamp(parameters, "to") ?? now
        guard to > from else {
            throw APIError(.unprocessableContent, code: "invalid_interval", message: "to must be after from", field: "to")
        }
        let span = to.microseconds(since: from)
        let limit: Int64 = step == .hour ? 31 * Timestamp.microsecondsPerDay : 400 * Timestamp.microsecondsPerDay
        guard span <= limit else {
            throw APIError(
                .unprocessableContent, code: "range_too_large",
                message: step == .hour ? "hourly steps cover at most 31 days; use step=1d" : "daily steps cover at most 400 days",
                field: "from"
            )
        }
        let include = parameters.get("include") ?? ""
        guard include.isEmpty || include == "billed" else {
            throw APIError(.badRequest, code: "invalid_value", message: "include may only be billed", field: "include")
        }
        return CostQuery(
            tenant: tenant,
            environment: try QueryParameters.name(parameters, "environment"),
            service: try QueryParameters.name(parameters, "service"),
            from: from, to: to, step: step, groupBy: grouping, includeBilled: include == "billed"
        )
    }
}

extension BudgetRequestContext {
    /// A path parameter that must follow the naming rule.
    func name(_ parameter: String) throws -> String {
        guard let value = parameters.get(parameter), PartitionKey.isValid(value) else {
            throw APIError.invalidName(parameter)
        }
        return value
    }
}
