import BudgetCore
import BudgetStore
import Foundation
import Hummingbird

/// `PUT/GET …/rate-card`, `GET …/rate-card/versions`.
struct RateCardRoutes {
    let store: BudgetStore

    struct PutRequest: Decodable {
        var currency: String?
        var effectiveFrom: String?
        var prices: [String: PriceText]?

        enum CodingKeys: String, CodingKey {
            case currency, prices
            case effectiveFrom = "effective_from"
        }
    }

    /// A price as sent: must be a decimal string (money never travels as a float).
    struct PriceText: Decodable {
        var text: String?

        init(from decoder: any Decoder) throws {
            text = try? decoder.singleValueContainer().decode(String.self)
        }
    }

    struct Versions: Encodable {
        var versions: [RateCardDocument]
    }

    func register(on routes: RouteRegistry) {
        routes.add(.put, "/v1/tenants/{tenant}/rate-card") { request, context in
            let tenant = try context.tenant()
            let actor = try context.require(.manage, on: tenant)
            let body = try await JSONBody.decode(PutRequest.self, from: request)
            let (currency, effectiveFrom, prices) = try Self.validate(body)
            let write = try await store.putRateCard(
                tenant: tenant, effectiveFrom: effectiveFrom ?? Timestamp.now(), currency: currency, prices: prices, actor: actor
            )
            switch write {
            case .created(let card):
                ConfigChangeLog.log(context.logger, tenant: tenant, kind: "rate_card", key: "v\(card.version)", action: "create", version: card.version, actor: actor.id)
                return try JSONResponse(RateCardDocument(card), status: .created).response
            case .unchanged(let card): return try JSONResponse(RateCardDocument(card)).response
            }
        }
        routes.add(.get, "/v1/tenants/{tenant}/rate-card") { _, context in
            let tenant = try context.tenant()
            _ = try context.require(.read, on: tenant)
            let history = try await store.rateCardHistory(tenant: tenant)
            guard let card = history.card(at: Timestamp.now()) ?? history.versions.first else {
                throw APIError(.notFound, code: "no_rate_card", message: "tenant \(tenant) has no rate card yet; PUT one to price usage")
            }
            return try JSONResponse(RateCardDocument(card)).response
        }
        routes.add(.get, "/v1/tenants/{tenant}/rate-card/versions") { _, context in
            let tenant = try context.tenant()
            _ = try context.require(.read, on: tenant)
            let history = try await store.rateCardHistory(tenant: tenant)
            return try JSONResponse(Versions(versions: history.versions.map(RateCardDocument.init))).response
        }
    }

    static func validate(_ body: PutRequest) throws -> (Currency, Timestamp?, [Resource: Price]) {
        guard let currencyText = body.currency else {
            throw APIError(.badRequest, code: "missing_field", message: "currency is required (e.g. USD)", field: "currency")
        }
        guard let currency = Currency(currencyText) else {
            throw APIError(.badRequest, code: "invalid_currency", message: "currency must be a three-letter ISO 4217 code such as USD", field: "currency")
        }
        var effectiveFrom: Timestamp?
        if let text = body.effectiveFrom {
            guard let timestamp = Timestamp(rfc3339: text) else {
                throw APIError(.badRequest, code: "invalid_timestamp", message: "effective_from must be an RFC 3339 timestamp", field: "effective_from")
            }
            effectiveFrom = timestamp
        }
        guard let priceTexts = body.prices, !priceTexts.isEmpty else {
            throw APIError(.badRequest, code: "missing_field", message: "prices is required: {\"cpu_cores\": \"0.04\", ...}", field: "prices")
        }
        var prices: [Resource: Price] = [:]
        for (name, value) in priceTexts.sorted(by: { $0.key < $1.key }) {
            guard let resource = Resource(rawValue: name) else {
                throw APIError(
                    .badRequest, code: "unknown_resource",
                    message: "unknown resource '\(name.prefix(64))'; known resources: \(Resource.namesList)", field: "prices.\(name.prefix(64))"
                )
            }
            guard let text = value.text else {
                throw APIError(
                    .badRequest, code: "invalid_price",
                    message: "prices are decimal strings such as \"0.04\" (money never travels as a floating-point number)", field: "prices.\(name)"
                )
            }
            guard let price = Price(decimalString: text) else {
                throw APIError(
                    .badRequest, code: "invalid_price",
                    message: "'\(text.prefix(40))' is not a price: a non-negative decimal with at most 12 decimal places", field: "prices.\(name)"
                )
            }
            prices[resource] = price
        }
        return (currency, effectiveFrom, prices)
    }
}
