import BudgetStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Gives every failure the API's JSON error shape and the right status; nothing escapes as a bare 500.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = Self.translate(error)
            if apiError.status.code >= 500 {
                context.logger.error("request failed", metadata: ["error": "\(describeDatabaseError(error))", "path": "\(AdmissionPathToken.redacted(request.uri.path))"])
            }
            return apiError.makeResponse()
        }
    }

    static func translate(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as StoreError:
            switch error.kind {
            case .unavailable:
                return APIError(.serviceUnavailable, code: error.code, message: error.message, retryAfter: 5)
            case .conflict:
                return APIError(.conflict, code: error.code, message: error.message, field: error.field)
            case .notFound:
                return APIError(.notFound, code: error.code, message: error.message, field: error.field)
            case .unprocessable:
                return APIError(.unprocessableContent, code: error.code, message: error.message, field: error.field)
            case .internalError:
                return APIError(.internalServerError, code: "internal_error", message: "internal error")
            }
        case let error as HTTPError:
            return translate(error)
        case is NIOTooManyBytesError:
            return APIError(.contentTooLarge, code: "body_too_large", message: "the request body is too large")
        case is CancellationError:
            return APIError(.serviceUnavailable, code: "cancelled", message: "the request was cancelled", retryAfter: 1)
        default:
            return APIError(.internalServerError, code: "internal_error", message: "internal error")
        }
    }

    static func translate(_ error: HTTPError) -> APIError {
        let code: String
        let message: String
        switch error.status {
        case .notFound: (code, message) = ("not_found", "no such route")
        case .methodNotAllowed: (code, message) = ("method_not_allowed", "method not allowed on this route")
        case .contentTooLarge: (code, message) = ("body_too_large", "the request body is too large")
        case .badRequest: (code, message) = ("bad_request", error.body ?? "bad request")
        case .unsupportedMediaType: (code, message) = ("unsupported_media_type", error.body ?? "unsupported content type")
        default: (code, message) = ("http_\(error.status.code)", error.body ?? error.status.reasonPhrase)
        }
        var apiError = APIError(error.status, code: code, message: error.body ?? message)
        apiError.headers = error.headers
        return apiError
    }
}
