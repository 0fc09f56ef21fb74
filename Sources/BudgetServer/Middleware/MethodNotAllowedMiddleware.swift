import HTTPTypes
import Hummingbird

/// A known path asked with a method it does not serve answers `405` with `Allow`, not `404` (RFC 9110 §15.5.6).
///
/// Added after every route, so it wraps only the router's not-found answer.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The route table as path segments (`nil` for a `{parameter}`) and the methods each path serves.
    private let table: [(segments: [Substring?], methods: [String])]

    init(routes: [RouteDescription]) {
        var byPath: [String: Set<String>] = [:]
        for route in routes { byPath[route.path, default: []].insert(route.method) }
        table = byPath.sorted { $0.key < $1.key }.map { path, methods in
            let segments = path.split(separator: "/").map { $0.hasPrefix("{") && $0.hasSuffix("}") ? nil : $0 }
            return (segments, methods.sorted())
        }
    }

    /// The methods served at `path`, or nil when no route has this path.
    func allowed(path: String) -> [String]? {
        let parts = path.split(separator: "/")
        var methods: Set<String> = []
        for entry in table where entry.segments.count == parts.count {
            if zip(entry.segments, parts).allSatisfy({ segment, part in segment == nil || segment == part }) {
                methods.formUnion(entry.methods)
            }
        }
        return methods.isEmpty ? nil : methods.sorted()
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            guard let methods = allowed(path: request.uri.path), !methods.contains(request.method.rawValue) else { throw error }
            var answer = APIError(
                .methodNotAllowed, code: "method_not_allowed",
                message: "\(request.method.rawValue) is not served here; allowed: \(methods.joined(separator: ", "))"
            )
            answer.headers[.allow] = methods.joined(separator: ", ")
            throw answer
        }
    }
}
