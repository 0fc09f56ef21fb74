import BudgetCore
import BudgetStore
import Foundation
import Hummingbird

/// `POST /v1/apply`: configuration as code. Computes the plan for a set of documents and (unless
/// `dry_run`) applies it in one transaction, audited with the caller. Needs `manage` on every tenant named.
struct ApplyRoutes {
    let store: BudgetStore

    struct Body: Decodable {
        var documents: [ConfigDocument]
        var dryRun: Bool?
        var prune: Bool?

        enum CodingKeys: String, CodingKey {
            case documents
            case dryRun = "dry_run"
            case prune
        }
    }

    struct Answer: Encodable {
        var applied: Bool
        var plan: [PlanEntry]
    }

    func register(on routes: RouteRegistry) {
        routes.add(.post, "/v1/apply") { request, context in
            let actor = try context.caller()
            let body = try await JSONBody.decode(Body.self, from: request, maximumBytes: 4 << 20)
            guard body.documents.count <= 10_000 else {
                throw APIError(.contentTooLarge, code: "too_many_documents", message: "at most 10000 documents", field: "documents")
            }
            var desired = DesiredConfiguration()
            for (index, document) in body.documents.enumerated() {
                guard PartitionKey.isValid(document.tenant) else { throw APIError.invalidName("documents[\(index)].metadata.tenant") }
                _ = try context.require(.manage, on: document.tenant)
                do {
                    var withoutEnvironmentSecrets = document
                    if document.kind == "AlertRoute", var route = try? JSONDecoder().decode(ConfigSpecs.AlertRouteSpec.self, from: document.spec) {
                        route.secretEnv = nil  // the server's environment is not the caller's
                        withoutEnvironmentSecrets.spec = try JSONEncoder().encode(route)
                    }
                    try withoutEnvironmentSecrets.resolve(into: &desired)
                } catch let error as ConfigDocument.Invalid {
                    // A malformed name or an unknown kind is 400; a document whose spec (or the metadata its kind
                    // needs) does not make a valid object of that kind is 422, as Kubernetes answers an invalid object.
                    let status: HTTPResponse.Status = ["invalid_name", "unknown_kind"].contains(error.code) ? .badRequest : .unprocessableContent
                    throw APIError(status, code: error.code, message: "\(error.source): \(error.message)", field: "documents[\(index)].\(error.field)")
                }
            }
            let dryRun = body.dryRun ?? false
            let plan = try await store.apply(desired, actor: actor, dryRun: dryRun, prune: body.prune ?? true, now: Timestamp.now())
            if !dryRun { ConfigChangeLog.log(context.logger, plan: plan, actor: actor.id) }
            return try JSONResponse(Answer(applied: !dryRun, plan: plan)).response
        }
    }
}
