import BudgetCore
import BudgetStore
import Foundation
import Hummingbird

/// `POST/GET /v1/tokens`, `DELETE /v1/tokens/{id}` (admin only).
struct TokenRoutes {
    let store: BudgetStore

    struct CreateRequest: Decodable {
        var name: String
        var scopes: [String]
        var expiresAt: String?

        enum CodingKeys: String, CodingKey {
            case name, scopes
            case expiresAt = "expires_at"
        }
    }

    struct Created: Encodable {
        var token: String
        var id: String
        var name: String
        var scopes: [String]
        var createdAt: Timestamp
        var expiresAt: Timestamp?

        enum CodingKeys: String, CodingKey {
            case token, id, name, scopes
            case createdAt = "created_at"
            case expiresAt = "expires_at"
        }
    }

    struct Listed: Encodable {
        var tokens: [TokenView]
    }

    func register(on routes: RouteRegistry) {
        routes.add(.post, "/v1/tokens") { request, context in
            let actor = try context.requireAdmin()
            let body = try await JSONBody.decode(CreateRequest.self, from: request)
            let name = body.name.trimmingCharacters(in: .whitespaces)
            // Counted in Unicode scalars and checked for control characters, as the OpenAPI document's pattern does.
            guard (1...100).contains(body.name.unicodeScalars.count), !name.isEmpty,
                  !body.name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" })
            else {
                throw APIError(.badRequest, code: "invalid_name", message: "name must be 1 to 100 characters, not blank, without control characters", field: "name")
            }
            guard !body.scopes.isEmpty else {
                throw APIError(.badRequest, code: "invalid_scope", message: "a token needs at least one scope", field: "scopes")
            }
            var scopes: [Scope] = []
            for (index, text) in body.scopes.enumerated() {
                guard let scope = Scope(text) else {
                    throw APIError(
                        .badRequest, code: "invalid_scope",
                        message: "scope '\(text.prefix(80))' is not \(Scope.syntax)", field: "scopes[\(index)]"
                    )
                }
                scopes.append(scope)
            }
            var expiresAt: Timestamp?
            if let text = body.expiresAt {
                guard let timestamp = Timestamp(rfc3339: text) else {
                    throw APIError(.badRequest, code: "invalid_timestamp", message: "expires_at must be an RFC 3339 timestamp", field: "expires_at")
                }
                guard timestamp > Timestamp.now() else {
                    throw APIError(.unprocessableContent, code: "invalid_timestamp", message: "expires_at must be in the future", field: "expires_at")
                }
                expiresAt = timestamp
            }
            let (record, secret) = try await store.createToken(name: name, scopes: scopes, expiresAt: expiresAt, actor: actor)
            return try JSONResponse(
                Created(token: secret.text, id: record.id, name: record.name, scopes: record.scopes, createdAt: record.createdAt, expiresAt: record.expiresAt),
                status: .created
            ).response
        }
        routes.add(.get, "/v1/tokens") { _, context in
            _ = try context.requireAdmin()
            return try JSONResponse(Listed(tokens: try await store.listTokens().map(TokenView.init))).response
        }
        routes.add(.delete, "/v1/tokens/{id}") { _, context in
            let actor = try context.requireAdmin()
            guard let id = context.parameters.get("id"), id.count == 16, id.allSatisfy(\.isHexDigit) else {
                throw APIError(.notFound, code: "token_not_found", message: "no such token", field: "id")
            }
            return try JSONResponse(TokenView(try await store.revokeToken(id: id, actor: actor))).response
        }
    }
}

/// A token as the API shows it (no secret).
struct TokenView: Encodable {
    var id: String
    var name: String
    var scopes: [String]
    var createdAt: Timestamp
    var createdBy: String
    var expiresAt: Timestamp?
    var revokedAt: Timestamp?

    init(_ record: TokenRecord) {
        id = record.id
        name = record.name
        scopes = record.scopes
        createdAt = record.createdAt
        createdBy = record.createdBy
        expiresAt = record.expiresAt
        revokedAt = record.revokedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, scopes
        case createdAt = "created_at"
        case createdBy = "created_by"
        case expiresAt = "expires_at"
        case revokedAt = "revoked_at"
    }
}
