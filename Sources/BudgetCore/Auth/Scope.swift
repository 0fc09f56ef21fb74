/// What a token may do: everything (`admin`), or one kind of thing on one tenant.
public enum Scope: Sendable, Hashable, Comparable, CustomStringConvertible {
    case admin
    case tenant(String, TenantPermission)

    /// Parses `admin` or `<tenant>:<permission>` (e.g. `acme:ingest`).
    public init?(_ text: some StringProtocol) {
        if text == "admin" {
            self = .admin
            return
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, PartitionKey.isValid(parts[0]), let permission = TenantPermission(rawValue: String(parts[1])) else {
            return nil
        }
        self = .tenant(String(parts[0]), permission)
    }

    public var description: String {
        switch self {
        case .admin: "admin"
        case .tenant(let tenant, let permission): "\(tenant):\(permission.rawValue)"
        }
    }

    public static func < (lhs: Scope, rhs: Scope) -> Bool { lhs.description < rhs.description }

    /// How scopes are written, for error messages.
    public static let syntax = "\"admin\" or \"<tenant>:<read|ingest|decide|manage>\""
}

/// The per-tenant permissions.
public enum TenantPermission: String, Sendable, Hashable, CaseIterable, Codable {
    /// Query costs, status, budgets, caps, decisions and alerts.
    case read
    /// Send usage.
    case ingest
    /// Ask for scaling decisions and release their reservations.
    case decide
    /// Set caps, budgets, rate cards, policies and alert routes (implies `read`).
    case manage
}

/// Who is calling: a token's identity and its scopes.
public struct Principal: Sendable, Hashable {
    public var id: String
    public var name: String
    public var scopes: Set<Scope>

    public init(id: String, name: String, scopes: Set<Scope>) {
        self.id = id
        self.name = name
        self.scopes = scopes
    }

    public var isAdmin: Bool { scopes.contains(.admin) }

    /// Whether this principal may do `permission` on `tenant`.
    public func allows(_ permission: TenantPermission, on tenant: String) -> Bool {
        if isAdmin || scopes.contains(.tenant(tenant, permission)) { return true }
        return permission == .read && scopes.contains(.tenant(tenant, .manage))
    }
}
