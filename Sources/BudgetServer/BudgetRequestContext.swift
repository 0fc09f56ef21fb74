import BudgetCore
import Hummingbird
import NIOCore

/// The per-request context of every route: who is calling, and from where.
public struct BudgetRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by the authentication middleware for every `/v1` route.
    public var principal: Principal?
    /// The client's address (for limiting unauthenticated callers).
    public let remoteAddress: String

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// The authenticated caller; routes behind the authentication middleware always have one.
    func caller() throws -> Principal {
        guard let principal else {
            throw APIError.unauthenticated("a bearer token is required")
        }
        return principal
    }

    /// Refuses with 403 unless the caller may do `permission` on `tenant`.
    func require(_ permission: TenantPermission, on tenant: String) throws -> Principal {
        let principal = try caller()
        guard principal.allows(permission, on: tenant) else {
            throw APIError(
                .forbidden,
                code: "forbidden",
                message: "this token does not have the \(permission.rawValue) scope on tenant \(tenant)"
            )
        }
        return principal
    }

    /// Refuses with 403 unless the caller is an admin.
    func requireAdmin() throws -> Principal {
        let principal = try caller()
        guard principal.isAdmin else {
            throw APIError(.forbidden, code: "forbidden", message: "this route needs an admin token")
        }
        return principal
    }
}
