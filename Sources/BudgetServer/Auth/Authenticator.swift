import BudgetCore
import BudgetStore
import Crypto
import Foundation

/// Turns an `Authorization` header into a principal: the bootstrap admin token, or a stored token.
public struct Authenticator: Sendable {
    let store: BudgetStore
    /// SHA-256 of the bootstrap admin token (`CHARTLY_ADMIN_TOKEN`), if one is configured.
    let bootstrapHash: [UInt8]?

    /// The principal of the bootstrap admin token in the audit log.
    public static let bootstrapPrincipal = Principal(id: "bootstrap", name: "bootstrap admin", scopes: [.admin])

    public init(store: BudgetStore, bootstrapAdminToken: String?) {
        self.store = store
        self.bootstrapHash = bootstrapAdminToken.map { Array(SHA256.hash(data: Data($0.utf8))) }
    }

    func principal(forAuthorization header: String) async throws -> Principal? {
        guard header.count < 512 else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let presented = parts[1].trimmingCharacters(in: .whitespaces)
        if let bootstrapHash {
            let hash = Array(SHA256.hash(data: Data(presented.utf8)))
            if Self.constantTimeEqual(hash, bootstrapHash) { return Self.bootstrapPrincipal }
        }
        guard let token = TokenSecret(parsing: presented) else { return nil }
        return try await store.authenticate(token)
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
