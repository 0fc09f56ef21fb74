import BudgetCore
import BudgetStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The server-rendered dashboard: sign in with a token (kept in an HttpOnly cookie), then the tenant's
/// environments and one page per environment.
///
/// The cookie is only ever read by these routes; the `/v1` API takes bearer tokens alone, so a page on
/// another site cannot use a signed-in browser to call it.
struct DashboardRoutes {
    let store: BudgetStore
    let authenticator: Authenticator
    let rateLimiter: RateLimiter

    static let cookieName = "chartly_session"
    /// How long a sign-in lasts in the browser (the token's own expiry still applies).
    static let sessionSeconds = 12 * 3600

    func register(on routes: RouteRegistry) {
        let loader = DashboardLoader(store: store)
        routes.add(.get, "/") { request, context in
            guard let principal = try await signedIn(request) else { return Self.redirect(to: "/login") }
            let tenants = try await readableTenants(principal)
            guard let first = tenants.first else {
                return try Self.page(.signIn(error: "This token cannot read any tenant. Sign in with a token that has a tenant's read scope."), status: .forbidden)
            }
            return Self.redirect(to: HTMLText.tenantPath(first))
        }
        routes.add(.get, "/login") { _, _ in
            try Self.page(.signIn(error: nil))
        }
        routes.add(.post, "/login") { request, context in
            if let retryAfter = rateLimiter.takeFailure(key: context.remoteAddress) {
                var response = try Self.page(.signIn(error: "Too many attempts; try again in \(retryAfter) s."), status: .tooManyRequests)
                response.headers[.retryAfter] = String(retryAfter)
                return response
            }
            let token = try await Self.formToken(request)
            guard let token, !token.isEmpty else {
                return try Self.page(.signIn(error: "Enter an API token."), status: .badRequest)
            }
            guard (try? Cookie.validated(name: Self.cookieName, value: token)) != nil,
                let principal = try await authenticator.principal(forAuthorization: "Bearer \(token)")
            else {
                return try Self.page(.signIn(error: "That token is unknown, revoked or expired."), status: .unauthorized)
            }
            context.logger.info("dashboard sign-in", metadata: ["token": .string(principal.id)])
            var response = Self.redirect(to: "/")
            response.setCookie(Self.sessionCookie(token, secure: Self.isHTTPS(request)))
            return response
        }
        routes.add(.post, "/logout") { request, _ in
            var response = Self.redirect(to: "/login")
            response.setCookie(
                Cookie(name: Self.cookieName, value: "", maxAge: 0, path: "/", secure: Self.isHTTPS(request), httpOnly: true, sameSite: .strict)
            )
            return response
        }
        routes.add(.get, "/tenants/{tenant}") { request, context in
            guard let principal = try await signedIn(request) else { return Self.redirect(to: "/login") }
            let tenant = try context.tenant()
            guard principal.allows(.read, on: tenant) else { return try Self.forbidden(tenant) }
            let summaries = try await loader.summaries(tenant: tenant, now: Timestamp.now())
            return try Self.page(.environmentList(tenant: tenant, environments: summaries, tenants: try await readableTenants(principal)))
        }
        routes.add(.get, "/tenants/{tenant}/environments/{environment}") { request, context in
            guard let principal = try await signedIn(request) else { return Self.redirect(to: "/login") }
            let tenant = try context.tenant()
            guard principal.allows(.read, on: tenant) else { return try Self.forbidden(tenant) }
            let environment = try context.name("environment")
            return try Self.page(.environment(try await loader.environment(tenant: tenant, environment: environment, now: Timestamp.now())))
        }
    }

    /// The principal of the session cookie, if it holds a token that is still valid.
    private func signedIn(_ request: Request) async throws -> Principal? {
        guard let token = request.cookies[Self.cookieName]?.value, !token.isEmpty else { return nil }
        return try await authenticator.principal(forAuthorization: "Bearer \(token)")
    }

    /// The tenants the principal may read: every known tenant for an admin.
    private func readableTenants(_ principal: Principal) async throws -> [String] {
        if principal.isAdmin { return try await store.tenantNames() }
        var tenants: Set<String> = []
        for case .tenant(let tenant, let permission) in principal.scopes where permission == .read || permission == .manage {
            tenants.insert(tenant)
        }
        return tenants.sorted()
    }

    static func sessionCookie(_ token: String, secure: Bool) -> Cookie {
        Cookie(name: cookieName, value: token, maxAge: sessionSeconds, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }

    /// Behind a TLS-terminating proxy the cookie is marked Secure.
    static func isHTTPS(_ request: Request) -> Bool {
        request.uri.scheme?.rawValue == "https" || request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
    }

    /// The `token` field of the sign-in form (`application/x-www-form-urlencoded`).
    static func formToken(_ request: Request) async throws -> String? {
        let body = try await request.body.collect(upTo: 4096)
        let text = String(buffer: body)
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == "token" else { continue }
            return String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding?
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return nil
    }

    static func page(_ page: DashboardPage, status: HTTPResponse.Status = .ok) throws -> Response {
        let html = try DashboardRenderer.render(page)
        var headers = HTTPFields()
        headers[.contentType] = DashboardRenderer.contentType
        headers[HTTPField.Name("Content-Security-Policy")!] = DashboardRenderer.contentSecurityPolicy
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func redirect(to location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        return Response(status: .seeOther, headers: headers)
    }

    static func forbidden(_ tenant: String) throws -> Response {
        try page(.signIn(error: "This token cannot read tenant \(tenant). Sign in with a token that can."), status: .forbidden)
    }
}
