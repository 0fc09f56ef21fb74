import Hummingbird

/// One route of the API as the OpenAPI document names it (`/v1/tenants/{tenant}/usage`).
public struct RouteDescription: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var method: String
    public var path: String

    public init(method: String, path: String) {
        self.method = method
        self.path = path
    }

    public var description: String { "\(method) \(path)" }

    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.path, lhs.method) < (rhs.path, rhs.method) }
}

/// Registers routes on the router and remembers them, so tests can hold the OpenAPI document to the real route table.
final class RouteRegistry {
    let router: Router<BudgetRequestContext>
    private(set) var routes: [RouteDescription] = []

    init(router: Router<BudgetRequestContext>) {
        self.router = router
    }

    func add(
        _ method: HTTPRequest.Method,
        _ path: String,
        _ handler: @escaping @Sendable (Request, BudgetRequestContext) async throws -> Response
    ) {
        routes.append(RouteDescription(method: method.rawValue, path: path))
        let routerPath = path.split(separator: "/").map { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? ":" + part.dropFirst().dropLast() : part
        }.joined(separator: "/")
        router.on(RouterPath("/" + routerPath), method: method) { request, context in
            // PostgreSQL text cannot hold U+0000: a query value with one is refused before any route reads it.
            for (name, value) in request.uri.queryParameters where value.utf8.contains(0) || name.utf8.contains(0) {
                throw APIError(.badRequest, code: "invalid_value", message: "query parameter \(String(name).prefix(40)) must not contain U+0000", field: String(name))
            }
            return try await handler(request, context)
        }
    }
}
