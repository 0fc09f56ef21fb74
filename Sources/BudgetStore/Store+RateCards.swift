import BudgetCore
import Foundation
import Logging
import PostgresNIO

/// What `putRateCard` did.
public enum RateCardWrite: Sendable, Equatable {
    /// A new version was created.
    case created(RateCard)
    /// The same card (same `effective_from` and prices) was already stored: nothing changed.
    case unchanged(RateCard)

    public var card: RateCard {
        switch self {
        case .created(let card), .unchanged(let card): card
        }
    }
}

extension BudgetStore {
    /// Advisory lock class of a tenant's rate card: ingest holds it shared, a new version exclusive,
    /// so no sample is priced with a history that is changing under it.
    static let rateCardLockClass: Int32 = 0x5243  // "RC"

    /// The tenant's whole rate-card history.
    public func rateCardHistory(tenant: String) async throws -> RateCardHistory {
        let logger = self.logger
        return try await withConnection { connection in
            try await Self.loadRateCards(tenant: tenant, on: connection, logger: logger)
        }
    }

    static func loadRateCards(tenant: String, on connection: PostgresConnection, logger: Logger) async throws -> RateCardHistory {
        let rows = try await connection.query(
            """
            SELECT c.version, c.effective_from, c.currency, p.resource, p.price_picos
            FROM rate_cards c LEFT JOIN rate_card_prices p ON p.tenant_id = c.tenant_id AND p.version = c.version
            WHERE c.tenant_id = \(tenant)
            ORDER BY c.version
            """,
            logger: logger
        )
        var cards: [Int: RateCard] = [:]
        for try await (version, effectiveFrom, currencyCode, resourceName, picos) in rows.decode((Int, Timestamp, String, String?, Int64?).self) {
            guard let currency = Currency(currencyCode) else { continue }
            var card = cards[version] ?? RateCard(version: version, effectiveFrom: effectiveFrom, currency: currency, prices: [:])
            if let resourceName, let resource = Resource(rawValue: resourceName), let picos, let price = Price(picos: picos) {
                card.prices[resource] = price
            }
            cards[version] = card
        }
        return RateCardHistory(Array(cards.values))
    }

    /// Adds a rate-card version, or recognises one already stored.
    ///
    /// Refused (409) when the currency differs from the tenant's, when another card already takes effect at
    /// the same instant, or when usage at or after `effectiveFrom` is already priced: a new version never
    /// re-prices history.
    public func putRateCard(
        tenant: String,
        effectiveFrom: Timestamp,
        currency: Currency,
        prices: [Resource: Price],
        actor: Principal
    ) async throws -> RateCardWrite {
        let logger = self.logger
        return try await transaction("put-rate-card") { connection in
            try await Self.lockConfiguration(tenants: [tenant], on: connection, logger: logger)
            return try await Self.putRateCard(
                tenant: tenant, effectiveFrom: effectiveFrom, currency: currency, prices: prices, actor: actor, on: connection, logger: logger
            )
        }
    }

    static func putRateCard(
        tenant: String, effectiveFrom: Timestamp, currency: Currency, prices: [Resource: Price], actor: Principal,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> RateCardWrite {
        try await connection.perform(
            "SELECT pg_advisory_xact_lock(\(Self.rateCardLockClass), hashtext(\(tenant)))", logger: logger
        )
        let history = try await Self.loadRateCards(tenant: tenant, on: connection, logger: logger)
        if let existing = history.versions.first(where: { $0.effectiveFrom == effectiveFrom }) {
            guard existing.prices == prices, existing.currency == currency else {
                throw StoreError(
                    .conflict, code: "rate_card_conflict",
                    message: "version \(existing.version) already takes effect at \(effectiveFrom.rfc3339) with other prices; choose another effective_from",
                    field: "effective_from"
                )
            }
            return .unchanged(existing)
        }
        if let tenantCurrency = history.currency, tenantCurrency != currency {
            throw StoreError(
                .conflict, code: "currency_mismatch",
                message: "tenant \(tenant) prices in \(tenantCurrency); every rate-card version uses one currency",
                field: "currency"
            )
        }
        let priced = try await connection.query(
            """
            SELECT max(last_end) FROM cost_hourly
            WHERE tenant_id = \(tenant) AND hour >= date_trunc('hour', \(effectiveFrom)::timestamptz) AND last_end > \(effectiveFrom)
            """,
            logger: logger
        )
        for try await latest in priced.decode(Timestamp?.self) {
            if let latest {
                throw StoreError(
                    .conflict, code: "would_reprice_history",
                    message: "usage up to \(latest.rfc3339) is already recorded (priced, or reported as unpriced); a new version must take effect after it: history is never re-priced",
                    field: "effective_from"
                )
            }
        }
        let version = (history.versions.map(\.version).max() ?? 0) + 1
        try await connection.perform(
            """
            INSERT INTO rate_cards (tenant_id, version, effective_from, currency, created_by)
            VALUES (\(tenant), \(version), \(effectiveFrom), \(currency.code), \(actor.id))
            """,
            logger: logger
        )
        let resources = prices.keys.sorted()
        if !resources.isEmpty {
            try await connection.perform(
                """
                INSERT INTO rate_card_prices (tenant_id, version, resource, price_picos)
                SELECT \(tenant), \(version), r, p FROM unnest(\(resources.map(\.rawValue))::text[], \(resources.map { prices[$0]!.picos })::int8[]) AS t(r, p)
                """,
                logger: logger
            )
        }
        let card = RateCard(version: version, effectiveFrom: effectiveFrom, currency: currency, prices: prices)
        try await Self.appendAudit(
            AuditRecord(
                tenant: tenant, actor: actor, action: "rate_card.create", targetKind: "rate_card", target: "v\(version)",
                before: try history.current.map { try Self.json(RateCardDocument($0)) }, after: try Self.json(RateCardDocument(card))
            ),
            on: connection, logger: logger
        )
        return .created(card)
    }
}

/// A rate card as JSON (API answers and the audit log).
public struct RateCardDocument: Codable, Sendable, Equatable {
    public var version: Int
    public var effectiveFrom: Timestamp
    public var currency: Currency
    /// Prices as decimal strings, per unit-hour for gauges and per unit for counters.
    public var prices: [String: Price]

    public init(_ card: RateCard) {
        version = card.version
        effectiveFrom = card.effectiveFrom
        currency = card.currency
        prices = Dictionary(uniqueKeysWithValues: card.prices.map { ($0.key.rawValue, $0.value) })
    }

    enum CodingKeys: String, CodingKey {
        case version, currency, prices
        case effectiveFrom = "effective_from"
    }
}
