import BudgetCore
import BudgetStore
import Foundation
import Hummingbird

/// Caps, budgets, scaling policies and alert routes over REST (`manage` to write, `read` to read).
struct ConfigRoutes {
    let store: BudgetStore

    /// An object as the API answers: its spec plus identity, version and what the write did.
    struct Written<Spec: Encodable>: Encodable {
        var action: String?
        var changedFields: [String]?
        var version: Int
        var spec: Spec
        var identity: [String: String]

        enum Key: String, CodingKey {
            case action, version
            case changedFields = "changed_fields"
        }

        func encode(to encoder: any Encoder) throws {
            try spec.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encodeIfPresent(action, forKey: .action)
            try container.encodeIfPresent(changedFields, forKey: .changedFields)
            try container.encode(version, forKey: .version)
            var identityContainer = encoder.container(keyedBy: DynamicKey.self)
            for (key, value) in identity { try identityContainer.encode(value, forKey: DynamicKey(key)) }
        }
    }

    struct DynamicKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static func respond<Object: ConfigObject, Spec: Encodable>(
        _ write: ConfigWrite<Object>, spec: (Object) -> Spec, identity: [String: String]
    ) throws -> Response {
        switch write {
        case .created(let object):
            return try JSONResponse(Written(action: "created", version: object.version, spec: spec(object), identity: identity), status: .created).response
        case .updated(let object, let changed):
            return try JSONResponse(Written(action: "updated", changedFields: changed, version: object.version, spec: spec(object), identity: identity)).response
        case .unchanged(let object):
            return try JSONResponse(Written(action: "unchanged", version: object.version, spec: spec(object), identity: identity)).response
        }
    }

    static func shown<Object: ConfigObject, Spec: Encodable>(_ object: Object?, what: String, spec: (Object) -> Spec, identity: [String: String]) throws -> Response {
        guard let object else { throw APIError(.notFound, code: "not_found", message: "no \(what)") }
        return try JSONResponse(Written(version: object.version, spec: spec(object), identity: identity)).response
    }

    /// 400 for a malformed field; 422 for well-formed fields that contradict each other (which no schema can say).
    static func invalid(_ error: ConfigSpecs.Invalid) -> APIError {
        APIError(error.code == "inconsistent_values" ? .unprocessableContent : .badRequest, code: error.code, message: error.message, field: error.field)
    }

    func register(on routes: RouteRegistry) {
        registerCaps(on: routes)
        registerBudgets(on: routes)
        registerPolicies(on: routes)
        registerAlertRoutes(on: routes)
    }

    private func registerCaps(on routes: RouteRegistry) {
        for scoped in [false, true] {
            let path = scoped ? "/v1/tenants/{tenant}/environments/{environment}/services/{service}/cap" : "/v1/tenants/{tenant}/environments/{environment}/cap"
            routes.add(.put, path) { request, context in
                let tenant = try context.tenant()
                let actor = try context.require(.manage, on: tenant)
                let environment = try context.name("environment")
                let service = scoped ? try context.name("service") : nil
                let spec = try await JSONBody.decode(ConfigSpecs.CapSpec.self, from: request)
                let cap: Cap
                do { cap = try spec.cap(environment: environment, service: service, defaultName: "\(environment)\(service.map { "-\($0)" } ?? "")-cap") } catch let error as ConfigSpecs.Invalid { throw Self.invalid(error) }
                let write = try await store.putConfig(tenant: tenant, cap, actor: actor)
                ConfigChangeLog.log(context.logger, tenant: tenant, kind: "cap", key: Self.capKey(environment, service), write: write, actor: actor)
                return try Self.respond(write, spec: ConfigSpecs.CapSpec.init, identity: Self.capIdentity(environment, service))
            }
            routes.add(.get, path) { _, context in
                let tenant = try context.tenant()
                _ = try context.require(.read, on: tenant)
                let environment = try context.name("environment")
                let service = scoped ? try context.name("service") : nil
                let cap = try await store.config(Cap.self, tenant: tenant, key: ConfigKey([("environment", environment), ("service", service ?? "")]))
                return try Self.shown(cap, what: "cap for \(environment)\(service.map { "/\($0)" } ?? "")", spec: ConfigSpecs.CapSpec.init, identity: Self.capIdentity(environment, service))
            }
            routes.add(.delete, path) { _, context in
                let tenant = try context.tenant()
                let actor = try context.require(.manage, on: tenant)
                let environment = try context.name("environment")
                let service = scoped ? try context.name("service") : nil
                let deleted = try await store.deleteConfig(Cap.self, tenant: tenant, key: ConfigKey([("environment", environment), ("service", service ?? "")]), actor: actor)
                ConfigChangeLog.log(context.logger, tenant: tenant, kind: "cap", key: Self.capKey(environment, service), action: "delete", version: deleted.version, actor: actor.id)
                return try Self.shown(deleted, what: "cap", spec: ConfigSpecs.CapSpec.init, identity: Self.capIdentity(environment, service))
            }
        }
    }

    static func capKey(_ environment: String, _ service: String?) -> String {
        environment + (service.map { "/\($0)" } ?? "")
    }

    static func capIdentity(_ environment: String, _ service: String?) -> [String: String] {
        var identity = ["environment": environment]
        if let service { identity["service"] = service }
        return identity
    }

    private func registerBudgets(on routes: RouteRegistry) {
        routes.add(.put, "/v1/tenants/{tenant}/budgets/{name}") { request, context in
            let tenant = try context.tenant()
            let actor = try context.require(.manage, on: tenant)
            let name = try context.name("name")
            let spec = try await JSONBody.decode(ConfigSpecs.BudgetSpec.self, from: request)
            let budget: Budget
            do { budget = try spec.budget(name: name, environment: nil) } catch let error as ConfigSpecs.Invalid { throw Self.invalid(error) }
            let write = try await store.putConfig(tenant: tenant, budget, actor: actor)
            ConfigChangeLog.log(context.logger, tenant: tenant, kind: "budget", key: name, write: write, actor: actor)
            return try Self.respond(write, spec: ConfigSpecs.BudgetSpec.init, identity: ["name": name])
        }
        routes.add(.get, "/v1/tenants/{tenant}/budgets/{name}") { _, context in
            let tenant = try context.tenant()
            _ = try context.require(.read, on: tenant)
            let name = try context.name("name")
            let budget = try await store.config(Budget.self, tenant: tenant, key: ConfigKey([("name", name)]))
            return try Self.shown(budget, what: "budget \(name)", spec: ConfigSpecs.BudgetSpec.init, identity: ["name": name])
        }
        routes.add(.delete, "/v1/tenants/{tenant}/budgets/{name}") { _, context in
            let tenant = try context.tenant()
            let actor = try context.require(.manage, on: tenant)
            let name = try context.name("name")
            let deleted = try await store.deleteConfig(Budget.self, tenant: tenant, key: ConfigKey([("name", name)]), actor: actor)
            ConfigChangeLog.log(context.logger, tenant: tenant, kind: "budget", key: name, action: "delete", version: deleted.version, actor: actor.id)
            return try Self.shown(deleted, what: "budget", spec: ConfigSpecs.BudgetSpec.init, identity: ["name": name])
        }
        routes.add(.get, "/v1/tenants/{tenant}/budgets") { _, context in
            let tenant = try context.tenant()
            _ = try context.require(.read, on: tenant)
            let budgets = try await store.configs(Budget.self, tenant: tenant)
            struct Listed: Encodable { var budgets: [Written<ConfigSpecs.BudgetSpec>] }
            return try JSONResponse(Listed(budgets: budgets.map { Written(version: $0.version, spec: .init($0), identity: ["name": $0.name]) })).response
        }
    }

    private func registerPolicies(on routes: RouteRegistry) {
        let path = "/v1/tenants/{tenant}/environments/{environment}/services/{service}/policy"
        routes.add(.put, path) { request, context in
            let tenant = try context.tenant()
            let actor = try context.require(.manage, on: tenant)
            let environment = try context.name("environment")
            let service = try context.name("service")
            let spec = try await JSONBody.decode(ConfigSpecs.PolicySpec.self, from: request)
            let policy: ScalingPolicy
            do { policy = try spec.policy(environment: environment, service: service) } catch let error as ConfigSpecs.Invalid { throw Self.invalid(error) }
            let write = try await store.putConfig(tenant: tenant, policy, actor: actor)
            ConfigChangeLog.log(context.logger, tenant: tenant, kind: "scaling_policy", key: "\(environment)/\(service)", write: write, actor: actor)
            return try Self.respond(write, spec: ConfigSpecs.PolicySpec.init, identity: ["environment": environment, "service": service])
        }
        routes.add(.get, path) { _, context in
            let tenant = try context.tenant()
            _ = try context.require(.read, on: tenant)
            let environment = try context.name("environment")
            let service = try context.name("service")
            let policy = try await store.config(ScalingPolicy.self, tenant: tenant, key: ConfigKey([("environment", environment), ("service", service)]))
            return try Self.shown(policy, what: "scaling policy for \(environment)/\(service)", spec: ConfigSpecs.PolicySpec.init, identity: ["environment": environment, "service": service])
        }
    }

    private func registerAlertRoutes(on routes: RouteRegistry) {
        routes.add(.put, "/v1/tenants/{tenant}/alert-routes/{name}") { request, context in
            let tenant = try context.tenant()
            let actor = try context.require(.manage, on: tenant)
            let name = try context.name("name")
            var spec = try await JSONBody.decode(ConfigSpecs.AlertRouteSpec.self, from: request)
            spec.secretEnv = nil  // only files name environment variables; over the API the secret itself is sent
            let route: AlertRoute
            do { route = try spec.route(name: name) } catch let error as ConfigSpecs.Invalid { throw Self.invalid(error) }
            let write = try await store.putConfig(tenant: tenant, route, actor: actor)
            ConfigChangeLog.log(context.logger, tenant: tenant, kind: "alert_route", key: name, write: write, actor: actor)
            return try Self.respond(write, spec: ConfigSpecs.AlertRouteSpec.init, identity: ["name": name])
        }
        routes.add(.get, "/v1/tenants/{tenant}/alert-routes/{name}") { _, context in
            let tenant = try context.tenant()
            _ = try context.require(.read, on: tenant)
            let name = try context.name("name")
            let route = try await store.config(AlertRoute.self, tenant: tenant, key: ConfigKey([("name", name)]))
            return try Self.shown(route, what: "alert route \(name)", spec: ConfigSpecs.AlertRouteSpec.init, identity: ["name": name])
        }
    }
}
