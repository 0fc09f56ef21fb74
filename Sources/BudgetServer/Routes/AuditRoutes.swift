import BudgetCore
import BudgetStore
import Foundation
import Hummingbird

/// `GET /v1/audit` (admin): the audit log, newest first, with filters and paging.
struct AuditRoutes {
    let store: BudgetStore

    struct Page: Encodable {
        var entries: [EntryView]
        /// Pass as `before` to get the next (older) page; absent on the last page.
        var next: String?
    }

    struct EntryView: Encodable {
        var id: String
        var at: Timestamp
        var tenant: String
        var actor: Actor
        var action: String
        var targetKind: String
        var target: String
        var before: JSONText?
        var after: JSONText?

        struct Actor: Encodable {
            var id: String
            var name: String
        }

        enum CodingKeys: String, CodingKey {
            case id, at, tenant, actor, action, target, before, after
            case targetKind = "target_kind"
        }
    }

    func register(on routes: RouteRegistry) {
        routes.add(.get, "/v1/audit") { request, context in
            _ = try context.requireAdmin()
            let parameters = request.uri.queryParameters
            var query = AuditQuery()
            query.tenant = try QueryParameters.name(parameters, "tenant", allowSystem: true)
            query.actorID = parameters.get("actor")
            query.action = parameters.get("action")
            query.targetKind = parameters.get("target_kind")
            query.since = try QueryParameters.timestamp(parameters, "since")
            query.until = try QueryParameters.timestamp(parameters, "until")
            query.beforeID = try QueryParameters.integer(parameters, "before", range: 1...Int64.max)
            query.limit = Int(try QueryParameters.integer(parameters, "limit", range: 1...1000) ?? 100)
            let entries = try await store.auditEntries(query)
            let views = entries.map {
                EntryView(
                    id: String($0.id), at: $0.at, tenant: $0.tenant, actor: .init(id: $0.actorID, name: $0.actorName),
                    action: $0.action, targetKind: $0.targetKind, target: $0.target,
                    before: $0.before.map(JSONText.init), after: $0.after.map(JSONText.init)
                )
            }
            let next = entries.count == query.limit ? entries.last.map { String($0.id) } : nil
            return try JSONResponse(Page(entries: views, next: next)).response
        }
    }
}

/// Stored JSON re-emitted as JSON (not as a string) in answers.
struct JSONText: Encodable {
    var text: String

    func encode(to encoder: any Encoder) throws {
        let value = try JSONDecoder().decode(AnyJSON.self, from: Data(text.utf8))
        try value.encode(to: encoder)
    }
}

/// Any JSON value, for passing stored documents through.
enum AnyJSON: Codable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([AnyJSON])
    case object([String: AnyJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([AnyJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: AnyJSON].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
