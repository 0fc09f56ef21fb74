import Hummingbird

/// Counts and times every request by method, route template and status.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = BudgetRequestContext
    let metrics: BudgetMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        metrics.recordHTTP(
            method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: Int(response.status.code), seconds: seconds
        )
        return response
    }
}
