import BudgetCore
import Foundation
import Logging
import PostgresNIO

/// The configuration files (or an API client) want for each tenant they mention.
public struct DesiredConfiguration: Sendable {
    public var tenants: [String: TenantConfiguration] = [:]

    public init() {}
}

/// One tenant's wanted objects, each with where it came from (`Budgets/prod.yaml:12`).
public struct TenantConfiguration: Sendable {
    public var rateCard: DesiredRateCard?
    public var caps: [Cap] = []
    public var budgets: [Budget] = []
    public var policies: [ScalingPolicy] = []
    public var routes: [AlertRoute] = []
    public var prometheusMappings: [PrometheusMapping] = []
    public var kubernetesBindings: [KubernetesBinding] = []
    /// `kind/key` → source.
    public var sources: [String: String] = [:]

    public init() {}
}

/// A wanted rate card: a new version is created when its prices or currency differ from the current one.
public struct DesiredRateCard: Sendable, Equatable {
    public var currency: Currency
    public var effectiveFrom: Timestamp?
    public var prices: [Resource: Price]

    public init(currency: Currency, effectiveFrom: Timestamp?, prices: [Resource: Price]) {
        self.currency = currency
        self.effectiveFrom = effectiveFrom
        self.prices = prices
    }
}

/// One line of an apply plan.
public struct PlanEntry: Sendable, Codable, Equatable {
    public enum Action: String, Sendable, Codable {
        case create, update, delete, unchanged
    }

    public var action: Action
    public var kind: String
    public var tenant: String
    public var key: String
    public var changedFields: [String]
    public var source: String?

    enum CodingKeys: String, CodingKey {
        case action, kind, tenant, key, source
        case changedFields = "changed_fields"
    }
}

extension BudgetStore {
    /// Computes the plan that makes the stored configuration match `desired`, and (unless `dryRun`) applies
    /// it in one transaction, every change audited with `actor`. With `prune`, objects of the mentioned
    /// tenants that `desired` does not list are deleted.
    public func apply(_ desired: DesiredConfiguration, actor: Principal, dryRun: Bool, prune: Bool, now: Timestamp) async throws -> [PlanEntry] {
        let logger = self.logger
        return try await transaction("apply") { connection in
            if !dryRun { try await Self.lockConfiguration(tenants: Array(desired.tenants.keys), on: connection, logger: logger) }
            var plan: [PlanEntry] = []
            for (tenant, wanted) in desired.tenants.sorted(by: { $0.key < $1.key }) {
                if let card = wanted.rateCard {
                    plan.append(try await Self.applyRateCard(card, tenant: tenant, source: wanted.sources["RateCard/rate-card"], actor: actor, dryRun: dryRun, now: now, on: connection, logger: logger))
                }
                plan += try await Self.applyKind(wanted.caps, tenant: tenant, sources: wanted.sources, actor: actor, dryRun: dryRun, prune: prune, on: connection, logger: logger)
                plan += try await Self.applyKind(wanted.budgets, tenant: tenant, sources: wanted.sources, actor: actor, dryRun: dryRun, prune: prune, on: connection, logger: logger)
                plan += try await Self.applyKind(wanted.policies, tenant: tenant, sources: wanted.sources, actor: actor, dryRun: dryRun, prune: prune, on: connection, logger: logger)
                plan += try await Self.applyKind(wanted.routes, tenant: tenant, sources: wanted.sources, actor: actor, dryRun: dryRun, prune: prune, on: connection, logger: logger)
                plan += try await Self.applyKind(wanted.prometheusMappings, tenant: tenant, sources: wanted.sources, actor: actor, dryRun: dryRun, prune: prune, on: connection, logger: logger)
                plan += try await Self.applyKind(wanted.kubernetesBindings, tenant: tenant, sources: wanted.sources, actor: actor, dryRun: dryRun, prune: prune, on: connection, logger: logger)
            }
            return plan
        }
    }

    static func applyKind<Object: ConfigObject>(
        _ wanted: [Object], tenant: String, sources: [String: String], actor: Principal, dryRun: Bool, prune: Bool,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> [PlanEntry] {
        let current = try await loadConfigs(Object.self, tenant: tenant, on: connection, logger: logger)
        let currentByKey = Dictionary(current.map { ($0.configKey, $0) }, uniquingKeysWith: { first, _ in first })
        var plan: [PlanEntry] = []
        for object in wanted.sorted(by: { $0.configKey < $1.configKey }) {
            let key = object.configKey
            let source = sources["\(Object.kind.rawValue)/\(key.description)"]
            if let existing = currentByKey[key] {
                if existing.sameContent(as: object) {
                    plan.append(PlanEntry(action: .unchanged, kind: Object.kind.rawValue, tenant: tenant, key: key.description, changedFields: [], source: source))
                    continue
                }
                var updated = object
                updated.version = existing.version
                let changed = ConfigJSON.changedFields(from: try ConfigJSON.encode(existing), to: try ConfigJSON.encode(updated))
                plan.append(PlanEntry(action: .update, kind: Object.kind.rawValue, tenant: tenant, key: key.description, changedFields: changed, source: source))
            } else {
                plan.append(PlanEntry(action: .create, kind: Object.kind.rawValue, tenant: tenant, key: key.description, changedFields: [], source: source))
            }
            if !dryRun { _ = try await putConfig(tenant: tenant, object, actor: actor, on: connection, logger: logger) }
        }
        if prune {
            let wantedKeys = Set(wanted.map(\.configKey))
            for object in current where !wantedKeys.contains(object.configKey) {
                plan.append(PlanEntry(action: .delete, kind: Object.kind.rawValue, tenant: tenant, key: object.configKey.description, changedFields: [], source: nil))
                if !dryRun { _ = try await deleteConfig(Object.self, tenant: tenant, key: object.configKey, actor: actor, on: connection, logger: logger) }
            }
        }
        return plan
    }

    static func applyRateCard(
        _ card: DesiredRateCard, tenant: String, source: String?, actor: Principal, dryRun: Bool, now: Timestamp,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> PlanEntry {
        let history = try await loadRateCards(tenant: tenant, on: connection, logger: logger)
        let current = history.card(at: card.effectiveFrom ?? now) ?? history.current
        // The card in force at that time already has these prices: nothing to do.
        if let current, current.prices == card.prices, current.currency == card.currency {
            return PlanEntry(action: .unchanged, kind: "RateCard", tenant: tenant, key: "v\(current.version)", changedFields: [], source: source)
        }
        var changed: [String] = []
        if let current {
            if current.currency != card.currency { changed.append("currency") }
            for resource in Set(current.prices.keys).union(card.prices.keys).sorted() where current.prices[resource] != card.prices[resource] {
                changed.append("prices.\(resource.rawValue)")
            }
            if changed.isEmpty { changed.append("effective_from") }
        }
        let next = (history.versions.map(\.version).max() ?? 0) + 1
        if !dryRun {
            _ = try await putRateCard(
                tenant: tenant, effectiveFrom: card.effectiveFrom ?? now, currency: card.currency, prices: card.prices, actor: actor,
                on: connection, logger: logger
            )
        }
        return PlanEntry(action: current == nil ? .create : .update, kind: "RateCard", tenant: tenant, key: "v\(next)", changedFields: changed, source: source)
    }
}
