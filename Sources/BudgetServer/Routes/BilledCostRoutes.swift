import BudgetCore
import BudgetStore
import Foundation
import Hummingbird

/// `POST …/billed-costs`: lines of a provider's bill (from `chartly-budget import-focus`).
struct BilledCostRoutes {
    let store: BudgetStore
    let configuration: ServerConfiguration

    struct Record: Decodable {
        var key: String
        var cost: BilledCost

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            key = try container.decode(String.self, forKey: .key)
            cost = try BilledCost(from: decoder)
        }

        enum Key: String, CodingKey { case key = "row_key" }
    }

    struct Body: Decodable {
        var records: [Record]
    }

    func register(on routes: RouteRegistry) {
        routes.add(.post, "/v1/tenants/{tenant}/billed-costs") { request, context in
            let tenant = try context.tenant()
            _ = try context.require(.ingest, on: tenant)
            let body = try await JSONBody.decode(Body.self, from: request, maximumBytes: configuration.maximumBodyBytes)
            guard body.records.count <= configuration.maximumSamplesPerRequest else {
                throw APIError(.contentTooLarge, code: "too_many_records", message: "at most \(configuration.maximumSamplesPerRequest) records per request", field: "records")
            }
            for (index, record) in body.records.enumerated() {
                guard (1...128).contains(record.key.unicodeScalars.count), !record.key.unicodeScalars.contains("\u{0}") else {
                    throw APIError(.badRequest, code: "invalid_value", message: "row_key must be 1 to 128 characters without U+0000", field: "records[\(index)].row_key")
                }
                for (text, field) in [(record.cost.provider, "provider"), (record.cost.providerService, "provider_service"), (record.cost.chargeCategory, "charge_category")]
                where text?.unicodeScalars.contains("\u{0}") == true {
                    throw APIError(.badRequest, code: "invalid_value", message: "\(field) must not contain U+0000", field: "records[\(index)].\(field)")
                }
                guard PartitionKey.isValid(record.cost.environment) else { throw APIError.invalidName("records[\(index)].environment") }
                guard PartitionKey.isValid(record.cost.service) else { throw APIError.invalidName("records[\(index)].service") }
                guard record.cost.chargePeriodEnd > record.cost.chargePeriodStart else {
                    throw APIError(.unprocessableContent, code: "invalid_interval", message: "charge_period_end must be after charge_period_start", field: "records[\(index)].charge_period_end")
                }
            }
            let result = try await store.importBilledCosts(
                tenant: tenant, records: body.records.map { KeyedBilledCost(key: $0.key, cost: $0.cost) }
            )
            return try JSONResponse(result).response
        }
    }
}
