import BudgetCore
import BudgetStore
import HTTPTypes
import Hummingbird

/// Authenticates every `/v1` request by its bearer token and applies the per-token rate limit.
///
/// The open routes (`/health`, `/ready`, `/openapi.yaml`, and `/metrics` unless protected) pass through.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = BudgetRequestContext

    let authenticator: Authenticator
    let rateLimiter: RateLimiter
    let protectMetrics: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path.hasPrefix("/v1") || (protectMetrics && path == "/metrics") else {
            return try await next(request, context)
        }
        var context = context
        guard let header = request.headers[.authorization] ?? AdmissionPathToken.authorization(path: path) else {
            try limitFailures(context)
            throw APIError.unauthenticated("send Authorization: Bearer <token>")
        }
        guard let principal = try await authenticator.principal(forAuthorization: header) else {
            try limitFailures(context)
            throw APIError.unauthenticated("the token is unknown, revoked or expired")
        }
        if let retryAfter = rateLimiter.take(key: principal.id) {
            throw APIError(
                .tooManyRequests, code: "rate_limited",
                message: "too many requests for this token; retry after \(retryAfter) s", retryAfter: retryAfter
            )
        }
        context.principal = principal
        context.logger[metadataKey: "token"] = .string(principal.id)
        return try await next(request, context)
    }

    /// Callers that keep failing to authenticate share a stricter bucket per address.
    private func limitFailures(_ context: Context) throws {
        if let retryAfter = rateLimiter.takeFailure(key: context.remoteAddress) {
            throw APIError(.tooManyRequests, code: "rate_limited", message: "too many failed authentications", retryAfter: retryAfter)
        }
    }
}

extension APIError {
    /// 401 with the challenge clients expect.
    static func unauthenticated(_ message: String) -> APIError {
        var error = APIError(.unauthorized, code: "unauthenticated", message: message)
        error.headers[.wwwAuthenticate] = #"Bearer realm="chartly-budget""#
        return error
    }
}
