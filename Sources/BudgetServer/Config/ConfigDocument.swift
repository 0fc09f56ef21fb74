import BudgetCore
import BudgetStore
import Foundation

/// One configuration document, as read from `Budgets/*.yaml` (Kubernetes style) and sent to `POST /v1/apply`.
public struct ConfigDocument: Sendable, Codable {
    /// Where it came from, for messages: `Budgets/prod.yaml:12`.
    public var source: String
    public var kind: String
    public var tenant: String
    public var environment: String?
    public var service: String?
    public var name: String?
    /// The spec as JSON (money as decimal strings).
    public var spec: Data

    public init(source: String, kind: String, tenant: String, environment: String?, service: String?, name: String?, spec: Data) {
        self.source = source
        self.kind = kind
        self.tenant = tenant
        self.environment = environment
        self.service = service
        self.name = name
        self.spec = spec
    }

    enum CodingKeys: String, CodingKey {
        case source, kind, metadata, spec
    }

    struct Metadata: Codable {
        var tenant: String
        var environment: String?
        var service: String?
        var name: String?
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        source = try container.decodeIfPresent(String.self, forKey: .source) ?? "request"
        kind = try container.decode(String.self, forKey: .kind)
        let metadata = try container.decode(Metadata.self, forKey: .metadata)
        tenant = metadata.tenant
        environment = metadata.environment
        service = metadata.service
        name = metadata.name
        spec = try JSONEncoder().encode(try container.decode(AnyJSON.self, forKey: .spec))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(source, forKey: .source)
        try container.encode(kind, forKey: .kind)
        try container.encode(Metadata(tenant: tenant, environment: environment, service: service, name: name), forKey: .metadata)
        try container.encode(try JSONDecoder().decode(AnyJSON.self, from: spec), forKey: .spec)
    }

    /// The kinds a document may have.
    public static let kinds = ["RateCard", "EnvironmentCap", "Budget", "ScalingPolicy", "AlertRoute", "PrometheusMapping", "KubernetesBinding"]

    /// A document that cannot be used: its source, the field (e.g. `spec.period_spend`) and why.
    public struct Invalid: Error, CustomStringConvertible {
        public var source: String
        public var field: String
        public var message: String
        public var code: String

        public var description: String { "\(source): \(field): \(message)" }
    }

    /// Adds this document's object to `desired`, or says which field is wrong.
    public func resolve(into desired: inout DesiredConfiguration, environmentVariables: [String: String] = ProcessInfo.processInfo.environment) throws(Invalid) {
        func invalid(_ field: String, _ message: String, _ code: String = "invalid_value") -> Invalid {
            Invalid(source: source, field: field, message: message, code: code)
        }
        guard PartitionKey.isValid(tenant) else { throw invalid("metadata.tenant", "tenant must match \(PartitionKey.pattern)", "invalid_name") }
        for (value, field) in [(environment, "metadata.environment"), (service, "metadata.service"), (name, "metadata.name")] {
            if let value, !PartitionKey.isValid(value) { throw invalid(field, "\(field.dropFirst(9)) must match \(PartitionKey.pattern)", "invalid_name") }
        }
        var tenantConfiguration = desired.tenants[tenant] ?? TenantConfiguration()
        let key: String
        do {
            switch kind {
            case "RateCard":
                let spec = try JSONDecoder().decode(ConfigSpecs.RateCardSpec.self, from: self.spec)
                guard tenantConfiguration.rateCard == nil else { throw invalid("kind", "tenant \(tenant) has two RateCard documents") }
                guard let currencyText = spec.currency else { throw invalid("spec.currency", "currency is required", "missing_field") }
                guard let currency = Currency(currencyText) else { throw invalid("spec.currency", "currency must be a three-letter code such as USD") }
                var effectiveFrom: Timestamp?
                if let text = spec.effectiveFrom {
                    guard let timestamp = Timestamp(rfc3339: text) else { throw invalid("spec.effective_from", "effective_from must be an RFC 3339 timestamp") }
                    effectiveFrom = timestamp
                }
                guard let named = spec.prices, !named.isEmpty else { throw invalid("spec.prices", "prices are required", "missing_field") }
                var prices: [Resource: Price] = [:]
                for (name, price) in named {
                    guard let resource = Resource(rawValue: name) else {
                        throw invalid("spec.prices.\(name)", "unknown resource; known resources: \(Resource.namesList)", "unknown_resource")
                    }
                    prices[resource] = price
                }
                tenantConfiguration.rateCard = DesiredRateCard(currency: currency, effectiveFrom: effectiveFrom, prices: prices)
                key = "RateCard/rate-card"
            case "EnvironmentCap":
                guard let environment else { throw invalid("metadata.environment", "an EnvironmentCap names its environment", "missing_field") }
                let cap = try JSONDecoder().decode(ConfigSpecs.CapSpec.self, from: spec)
                var resolved = try cap.cap(environment: environment, service: service, defaultName: name ?? "\(environment)-cap")
                if let name { resolved.name = name }
                guard !tenantConfiguration.caps.contains(where: { $0.configKey == resolved.configKey }) else {
                    throw invalid("metadata", "a second cap for \(resolved.configKey.description)")
                }
                tenantConfiguration.caps.append(resolved)
                key = "\(ConfigKind.cap.rawValue)/\(resolved.configKey.description)"
            case "Budget":
                guard let name else { throw invalid("metadata.name", "a Budget has a name", "missing_field") }
                var spec = try JSONDecoder().decode(ConfigSpecs.BudgetSpec.self, from: self.spec)
                if spec.service == nil { spec.service = service }
                let budget = try spec.budget(name: name, environment: environment)
                guard !tenantConfiguration.budgets.contains(where: { $0.name == name }) else { throw invalid("metadata.name", "a second budget named \(name)") }
                tenantConfiguration.budgets.append(budget)
                key = "\(ConfigKind.budget.rawValue)/\(name)"
            case "ScalingPolicy":
                guard let environment else { throw invalid("metadata.environment", "a ScalingPolicy names its environment", "missing_field") }
                guard let service = service ?? name else { throw invalid("metadata.service", "a ScalingPolicy names its service", "missing_field") }
                let policy = try JSONDecoder().decode(ConfigSpecs.PolicySpec.self, from: spec).policy(environment: environment, service: service)
                guard !tenantConfiguration.policies.contains(where: { $0.configKey == policy.configKey }) else {
                    throw invalid("metadata", "a second policy for \(environment)/\(service)")
                }
                tenantConfiguration.policies.append(policy)
                key = "\(ConfigKind.policy.rawValue)/\(policy.configKey.description)"
            case "AlertRoute":
                guard let name else { throw invalid("metadata.name", "an AlertRoute has a name", "missing_field") }
                let route = try JSONDecoder().decode(ConfigSpecs.AlertRouteSpec.self, from: spec).route(name: name, environment: environmentVariables)
                guard !tenantConfiguration.routes.contains(where: { $0.name == name }) else { throw invalid("metadata.name", "a second alert route named \(name)") }
                tenantConfiguration.routes.append(route)
                key = "\(ConfigKind.alertRoute.rawValue)/\(name)"
            case "PrometheusMapping":
                guard let name else { throw invalid("metadata.name", "a PrometheusMapping has a name", "missing_field") }
                var mapping = try JSONDecoder().decode(ConfigSpecs.PrometheusMappingSpec.self, from: spec).mapping(name: name)
                mapping.version = 0
                guard !tenantConfiguration.prometheusMappings.contains(where: { $0.name == name }) else {
                    throw invalid("metadata.name", "a second Prometheus mapping named \(name)")
                }
                tenantConfiguration.prometheusMappings.append(mapping)
                key = "\(ConfigKind.prometheusMapping.rawValue)/\(name)"
            case "KubernetesBinding":
                guard let name else { throw invalid("metadata.name", "a KubernetesBinding has a name (the cluster's)", "missing_field") }
                let binding = try JSONDecoder().decode(KubernetesBindingSpec.self, from: spec).binding(name: name)
                guard !tenantConfiguration.kubernetesBindings.contains(where: { $0.name == name }) else {
                    throw invalid("metadata.name", "a second KubernetesBinding named \(name)")
                }
                tenantConfiguration.kubernetesBindings.append(binding)
                key = "\(ConfigKind.kubernetesBinding.rawValue)/\(name)"
            default:
                throw invalid("kind", "unknown kind '\(kind.prefix(40))'; kinds are \(Self.kinds.joined(separator: ", "))", "unknown_kind")
            }
        } catch let error as Invalid {
            throw error
        } catch let error as ConfigSpecs.Invalid {
            throw invalid("spec.\(error.field)", error.message, error.code)
        } catch let error as DecodingError {
            let apiError = JSONBody.describe(error, prefix: "spec")
            throw invalid(apiError.field ?? "spec", apiError.message, apiError.code)
        } catch {
            throw invalid("spec", "\(error)")
        }
        tenantConfiguration.sources[key] = source
        desired.tenants[tenant] = tenantConfiguration
    }
}
