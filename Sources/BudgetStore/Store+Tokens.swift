import BudgetCore
import Crypto
import Foundation
import Logging
import PostgresNIO

/// A token as listed: never its secret.
public struct TokenRecord: Sendable, Codable, Equatable {
    public var id: String
    public var name: String
    public var scopes: [String]
    public var createdAt: Timestamp
    public var createdBy: String
    public var expiresAt: Timestamp?
    public var revokedAt: Timestamp?
}

/// The parts of a bearer token: `cbt_<id>_<secret>`. Only a SHA-256 of the secret is stored.
public struct TokenSecret: Sendable {
    public var id: String
    public var secret: String

    public var text: String { "cbt_\(id)_\(secret)" }

    /// Splits a presented token; nil when it is not of our form.
    public init?(parsing text: some StringProtocol) {
        let parts = text.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "cbt", parts[1].count == 16, parts[2].count >= 32, parts[2].count <= 64,
            parts[1].allSatisfy(\.isHexDigit)
        else { return nil }
        id = String(parts[1])
        secret = String(parts[2])
    }

    /// A new random token.
    public static func generate() -> TokenSecret {
        var generator = SystemRandomNumberGenerator()
        let idBytes = (0..<8).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let secretBytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let id = idBytes.map { String(format: "%02x", $0) }.joined()
        let secret = Data(secretBytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return TokenSecret(parsing: "cbt_\(id)_\(secret)")!
    }

    var hash: [UInt8] { Array(SHA256.hash(data: Data(secret.utf8))) }
}

extension BudgetStore {
    static let systemTenant = "_system"

    /// Creates a token; the returned secret is shown once and never stored.
    public func createToken(name: String, scopes: [Scope], expiresAt: Timestamp?, actor: Principal) async throws -> (TokenRecord, TokenSecret) {
        let secret = TokenSecret.generate()
        let scopeTexts = scopes.map(\.description).sorted()
        let logger = self.logger
        let record = try await transaction("create-token") { connection in
            let rows = try await connection.query(
                """
                INSERT INTO api_tokens (tenant_id, id, name, scopes, secret_hash, created_by, expires_at)
                VALUES (\(Self.systemTenant), \(secret.id), \(name), \(scopeTexts), \(ByteBuffer(bytes: secret.hash)), \(actor.id), \(expiresAt))
                RETURNING created_at
                """,
                logger: logger
            )
            var createdAt = Timestamp.epoch
            for try await value in rows.decode(Timestamp.self) { createdAt = value }
            let record = TokenRecord(
                id: secret.id, name: name, scopes: scopeTexts, createdAt: createdAt, createdBy: actor.id,
                expiresAt: expiresAt, revokedAt: nil
            )
            try await Self.appendAudit(
                AuditRecord(
                    tenant: Self.systemTenant, actor: actor, action: "token.create", targetKind: "token", target: secret.id,
                    before: nil, after: try Self.json(record)
                ),
                on: connection, logger: logger
            )
            return record
        }
        return (record, secret)
    }

    /// All tokens, newest first, without secrets.
    public func listTokens() async throws -> [TokenRecord] {
        let logger = self.logger
        return try await withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT id, name, scopes, created_at, created_by, expires_at, revoked_at
                FROM api_tokens WHERE tenant_id = \(Self.systemTenant) ORDER BY created_at DESC, id
                """,
                logger: logger
            )
            var records: [TokenRecord] = []
            for try await (id, name, scopes, createdAt, createdBy, expiresAt, revokedAt) in rows.decode(
                (String, String, [String], Timestamp, String, Timestamp?, Timestamp?).self
            ) {
                records.append(
                    TokenRecord(id: id, name: name, scopes: scopes, createdAt: createdAt, createdBy: createdBy, expiresAt: expiresAt, revokedAt: revokedAt)
                )
            }
            return records
        }
    }

    /// Revokes a token at once; throws `notFound` for an unknown or already revoked id.
    public func revokeToken(id: String, actor: Principal) async throws -> TokenRecord {
        let logger = self.logger
        return try await transaction("revoke-token") { connection in
            let rows = try await connection.query(
                """
                UPDATE api_tokens SET revoked_at = now()
                WHERE tenant_id = \(Self.systemTenant) AND id = \(id) AND revoked_at IS NULL
                RETURNING id, name, scopes, created_at, created_by, expires_at, revoked_at
                """,
                logger: logger
            )
            var revoked: TokenRecord?
            for try await (id, name, scopes, createdAt, createdBy, expiresAt, revokedAt) in rows.decode(
                (String, String, [String], Timestamp, String, Timestamp?, Timestamp?).self
            ) {
                revoked = TokenRecord(id: id, name: name, scopes: scopes, createdAt: createdAt, createdBy: createdBy, expiresAt: expiresAt, revokedAt: revokedAt)
            }
            guard let revoked else {
                throw StoreError(.notFound, code: "token_not_found", message: "no active token with id \(id)", field: "id")
            }
            var before = revoked
            before.revokedAt = nil
            try await Self.appendAudit(
                AuditRecord(
                    tenant: Self.systemTenant, actor: actor, action: "token.revoke", targetKind: "token", target: id,
                    before: try Self.json(before), after: try Self.json(revoked)
                ),
                on: connection, logger: logger
            )
            return revoked
        }
    }

    /// The principal behind a presented token, or nil when it is unknown, revoked, expired or wrong.
    public func authenticate(_ token: TokenSecret) async throws -> Principal? {
        let logger = self.logger
        let presented = token.hash
        return try await withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT name, scopes, secret_hash FROM api_tokens
                WHERE tenant_id = \(Self.systemTenant) AND id = \(token.id)
                  AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
                """,
                logger: logger
            )
            for try await (name, scopes, storedHash) in rows.decode((String, [String], ByteBuffer).self) {
                let stored = Array(storedHash.readableBytesView)
                guard Self.constantTimeEqual(stored, presented) else { return nil }
                return Principal(id: token.id, name: name, scopes: Set(scopes.compactMap { Scope($0) }))
            }
            return nil
        }
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
