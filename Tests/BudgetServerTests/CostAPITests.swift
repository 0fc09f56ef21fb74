import BudgetCore
import BudgetServer
import BudgetStore
import BudgetTestSupport
import Foundation
import HummingbirdTesting
import NIOCore
import Testing

/// A JSON sample between two RFC 3339 instants.
func usage(_ resource: String, _ quantity: String, _ start: String, _ end: String, environment: String = "prod", service: String = "api") -> String {
    #"{"environment":"\#(environment)","service":"\#(service)","resource":"\#(resource)","quantity":\#(quantity),"start":"\#(start)","end":"\#(end)"}"#
}

struct CostsBody: Decodable {
    struct Series: Decodable {
        struct Point: Decodable {
            var start: String
            var cost: String
        }
        var key: String
        var total: String
        var points: [Point]
    }
    struct Unpriced: Decodable {
        var resource: String
        var quantity: Double
    }
    struct Billed: Decodable {
        var billed_total: String
        var effective_total: String
        var estimate_minus_billed: String
    }
    var currency: String?
    var total: String
    var series: [Series]
    var rate_card_versions: [Int]
    var unpriced: [Unpriced]
    var billed: Billed?
}

extension TestResponse {
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder().decode(T.self, from: Data(buffer: body)) }
}

// Ten minutes: on Citus a test first waits for its own database, set up and distributed after the others'.
@Suite("Rate cards and the cost API", .timeLimit(.minutes(10)))
struct CostAPITests {
    static let card = #"{"currency":"USD","effective_from":"2026-01-01T00:00:00Z","prices":{"cpu_cores":"0.04","memory_gib":"0.005","egress_gib":"0.09","requests":"0.0004"}}"#

    @Test("a rate card version is created once; the same card again changes nothing; history is listed", arguments: TestEngine.available)
    func rateCardVersions(engine: TestEngine) async throws {
        try await TestApp.fresh(engine: engine).test { client, _ in
            let created = try await client.send(.put, "/v1/tenants/acme/rate-card", body: Self.card)
            #expect(created.status == .created)
            #expect(created.text.contains(#""version":1"#))
            #expect(created.text.contains(#""cpu_cores":"0.04""#))
            let again = try await client.send(.put, "/v1/tenants/acme/rate-card", body: Self.card)
            #expect(again.status == .ok)
            let second = try await client.send(
                .put, "/v1/tenants/acme/rate-card",
                body: #"{"currency":"USD","effective_from":"2026-06-01T00:00:00Z","prices":{"cpu_cores":"0.05"}}"#
            )
            #expect(second.status == .created)
            #expect(second.text.contains(#""version":2"#))
            let current = try await client.send(.get, "/v1/tenants/acme/rate-card")
            #expect(current.text.contains(#""version":2"#))
            let versions = try await client.send(.get, "/v1/tenants/acme/rate-card/versions")
            #expect(versions.text.contains(#""version":1"#) && versions.text.contains(#""version":2"#))
            #expect(try await client.send(.get, "/v1/tenants/other/rate-card").status == .notFound)
        }
    }

    @Test("rate card input errors name the field; money as a JSON number is refused")
    func rateCardErrors() async throws {
        try await TestApp.fresh().test { client, _ in
            let cases: [(String, String, String)] = [
                (#"{"currency":"USD","prices":{"cpu_cores":0.04}}"#, "prices.cpu_cores", "invalid_price"),
                (#"{"currency":"USD","prices":{"cpu_cores":"-1"}}"#, "prices.cpu_cores", "invalid_price"),
                (#"{"currency":"USD","prices":{"cpu_cores":"0.0000000000001"}}"#, "prices.cpu_cores", "invalid_price"),
                (#"{"currency":"USD","prices":{"gpu":"1"}}"#, "prices.gpu", "unknown_resource"),
                (#"{"currency":"usd","prices":{"cpu_cores":"1"}}"#, "currency", "invalid_currency"),
                (#"{"prices":{"cpu_cores":"1"}}"#, "currency", "missing_field"),
                (#"{"currency":"USD","prices":{}}"#, "prices", "missing_field"),
                (#"{"currency":"USD","effective_from":"soon","prices":{"cpu_cores":"1"}}"#, "effective_from", "invalid_timestamp"),
            ]
            for (body, field, code) in cases {
                let response = try await client.send(.put, "/v1/tenants/acme/rate-card", body: body)
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.json?.error.field == field, "\(body): \(response.text)")
                #expect(response.json?.error.code == code, "\(body): \(response.text)")
            }
        }
    }

    @Test("a new version never re-prices history, and the currency stays the tenant's", arguments: TestEngine.available)
    func neverRewritesHistory(engine: TestEngine) async throws {
        try await TestApp.fresh(engine: engine).test { client, _ in
            _ = try await client.send(.put, "/v1/tenants/acme/rate-card", body: Self.card)
            _ = try await client.postJSON("/v1/tenants/acme/usage", #"{"samples":[\#(usage("cpu_cores", "1", "2026-11-01T10:00:00Z", "2026-11-01T11:00:00Z"))]}"#)
            let backdated = try await client.send(
                .put, "/v1/tenants/acme/rate-card",
                body: #"{"currency":"USD","effective_from":"2026-11-01T10:30:00Z","prices":{"cpu_cores":"1"}}"#
            )
            #expect(backdated.status == .conflict)
            #expect(backdated.json?.error.code == "would_reprice_history")
            let euro = try await client.send(
                .put, "/v1/tenants/acme/rate-card",
                body: #"{"currency":"EUR","effective_from":"2026-12-01T00:00:00Z","prices":{"cpu_cores":"1"}}"#
            )
            #expect(euro.status == .conflict)
            #expect(euro.json?.error.field == "currency")
            let after = try await client.send(
                .put, "/v1/tenants/acme/rate-card",
                body: #"{"currency":"USD","effective_from":"2026-11-01T11:00:00Z","prices":{"cpu_cores":"1"}}"#
            )
            #expect(after.status == .created)
            let costs = try await client.send(.get, "/v1/tenants/acme/costs?from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z").decode(CostsBody.self)
            #expect(costs.total == "0.04")
        }
    }

    @Test("3 cores for 90 minutes at 0.04 is 0.18: 0.12 then 0.06 by hour, by resource and in total", arguments: TestEngine.available)
    func handComputed(engine: TestEngine) async throws {
        try await TestApp.fresh(engine: engine).test { client, _ in
            _ = try await client.send(.put, "/v1/tenants/acme/rate-card", body: Self.card)
            let samples = [
                usage("cpu_cores", "3", "2026-11-01T10:00:00Z", "2026-11-01T11:30:00Z"),
                usage("requests", "1000", "2026-11-01T10:45:00Z", "2026-11-01T11:15:00Z", service: "web"),
            ]
            #expect(try await client.postJSON("/v1/tenants/acme/usage", #"{"samples":[\#(samples.joined(separator: ","))]}"#).status == .ok)
            let hourly = try await client.send(
                .get, "/v1/tenants/acme/costs?environment=prod&service=api&from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z&step=1h"
            ).decode(CostsBody.self)
            #expect(hourly.currency == "USD")
            #expect(hourly.total == "0.18")
            #expect(hourly.series.first?.points.map(\.cost) == ["0.12", "0.06"])
            #expect(hourly.series.first?.points.map(\.start) == ["2026-11-01T10:00:00Z", "2026-11-01T11:00:00Z"])
            #expect(hourly.rate_card_versions == [1])
            let byResource = try await client.send(
                .get, "/v1/tenants/acme/costs?from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z&group_by=resource"
            ).decode(CostsBody.self)
            #expect(Dictionary(uniqueKeysWithValues: byResource.series.map { ($0.key, $0.total) }) == ["cpu_cores": "0.18", "requests": "0.40"])
            #expect(byResource.total == "0.58")
            let byService = try await client.send(.get, "/v1/tenants/acme/costs?from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z").decode(CostsBody.self)
            #expect(byService.series.map(\.key) == ["web", "api"])  // sorted by cost
        }
    }

    @Test("a price change in the middle of a sample splits it; both versions are reported", arguments: TestEngine.available)
    func priceChange(engine: TestEngine) async throws {
        try await TestApp.fresh(engine: engine).test { client, _ in
            _ = try await client.send(.put, "/v1/tenants/acme/rate-card", body: Self.card)
            _ = try await client.send(
                .put, "/v1/tenants/acme/rate-card",
                body: #"{"currency":"USD","effective_from":"2026-11-01T10:20:00Z","prices":{"cpu_cores":"0.10"}}"#
            )
            _ = try await client.postJSON("/v1/tenants/acme/usage", #"{"samples":[\#(usage("cpu_cores", "6", "2026-11-01T10:00:00Z", "2026-11-01T10:40:00Z"))]}"#)
            let costs = try await client.send(.get, "/v1/tenants/acme/costs?from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z&step=1h").decode(CostsBody.self)
            #expect(costs.total == "0.28")  // 20 min × 6 cores at 0.04 + 20 min × 6 cores at 0.10
            #expect(costs.rate_card_versions == [1, 2])
        }
    }

    @Test("late data changes an hour already rolled up", arguments: TestEngine.available)
    func lateData(engine: TestEngine) async throws {
        try await TestApp.fresh(engine: engine).test { client, _ in
            _ = try await client.send(.put, "/v1/tenants/acme/rate-card", body: Self.card)
            let path = "/v1/tenants/acme/costs?from=2026-11-01T10:00:00Z&to=2026-11-01T11:00:00Z&step=1h&group_by=none"
            _ = try await client.postJSON("/v1/tenants/acme/usage", #"{"samples":[\#(usage("cpu_cores", "2", "2026-11-01T10:30:00Z", "2026-11-01T11:00:00Z"))]}"#)
            #expect(try await client.send(.get, path).decode(CostsBody.self).total == "0.04")
            _ = try await client.postJSON("/v1/tenants/acme/usage", #"{"samples":[\#(usage("cpu_cores", "2", "2026-11-01T10:00:00Z", "2026-11-01T10:30:00Z"))]}"#)
            #expect(try await client.send(.get, path).decode(CostsBody.self).total == "0.08")
            // A duplicate of late data adds nothing.
            _ = try await client.postJSON("/v1/tenants/acme/usage", #"{"samples":[\#(usage("cpu_cores", "2", "2026-11-01T10:00:00Z", "2026-11-01T10:30:00Z"))]}"#)
            #expect(try await client.send(.get, path).decode(CostsBody.self).total == "0.08")
        }
    }

    @Test("usage without a price is counted and reported as unpriced, never as zero cost", arguments: TestEngine.available)
    func unpriced(engine: TestEngine) async throws {
        try await TestApp.fresh(engine: engine).test { client, _ in
            _ = try await client.send(.put, "/v1/tenants/acme/rate-card", body: Self.card)
            _ = try await client.postJSON(
                "/v1/tenants/acme/usage",
                #"{"samples":[\#(usage("storage_gib", "100", "2026-11-01T10:00:00Z", "2026-11-01T12:00:00Z"))]}"#
            )
            let costs = try await client.send(.get, "/v1/tenants/acme/costs?from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z").decode(CostsBody.self)
            #expect(costs.unpriced.map(\.resource) == ["storage_gib"])
            #expect(costs.unpriced.first?.quantity == 200)  // GiB-hours
            #expect(costs.total == "0.00")
        }
    }

    @Test("cost query parameters are validated by name")
    func badQueries() async throws {
        try await TestApp.fresh().test { client, _ in
            for (query, field) in [
                ("step=5m", "step"), ("group_by=colour", "group_by"), ("from=yesterday", "from"),
                ("from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z", "to"), ("environment=Prod", "environment"),
                ("step=1h&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z", "from"), ("include=everything", "include"),
            ] {
                let response = try await client.send(.get, "/v1/tenants/acme/costs?\(query)")
                // Each value valid on its own but the range contradicting itself (or its step) is 422.
                let contradictory = query.contains("&to=")
                #expect(response.status == (contradictory ? .unprocessableContent : .badRequest), "\(query)")
                #expect(response.json?.error.field == field, "\(query): \(response.text)")
            }
        }
    }
}

// Ten minutes: on Citus a test first waits for its own database, set up and distributed after the others'.
@Suite("Environment status", .timeLimit(.minutes(10)))
struct EnvironmentStatusTests {
    static func at(_ text: String) -> Timestamp { Timestamp(rfc3339: text)! }

    @Test("spend so far, run rate from the latest complete hour and the forecast to the end of a 28-day month", arguments: TestEngine.available)
    func status(engine: TestEngine) async throws {
        try await TestDatabase.withStore(engine: engine) { store in
            let actor = Principal(id: "test", name: "test", scopes: [.admin])
            _ = try await store.putRateCard(
                tenant: "acme", effectiveFrom: Self.at("2026-01-01T00:00:00Z"), currency: Currency("USD")!,
                prices: [.cpuCores: Price(decimalString: "0.05")!], actor: actor
            )
            // api: 4 cores all of 14 February (4 × 24 × 0.05 = 4.80); web: 2 cores on the 1st (2 × 24 × 0.05 = 2.40).
            var samples: [UsageSample] = []
            for hour in 0..<24 {
                let start = Self.at("2026-02-14T00:00:00Z") + .hours(Int64(hour))
                samples.append(UsageSample(environment: "prod", service: "api", resource: .cpuCores, quantity: 4, start: start, end: start + .hours(1)))
                let early = Self.at("2026-02-01T00:00:00Z") + .hours(Int64(hour))
                samples.append(UsageSample(environment: "prod", service: "web", resource: .cpuCores, quantity: 2, start: early, end: early + .hours(1)))
            }
            // Another environment and January must not count.
            samples.append(UsageSample(environment: "dev", service: "api", resource: .cpuCores, quantity: 100, start: Self.at("2026-02-14T10:00:00Z"), end: Self.at("2026-02-14T11:00:00Z")))
            samples.append(UsageSample(environment: "prod", service: "api", resource: .cpuCores, quantity: 100, start: Self.at("2026-01-31T10:00:00Z"), end: Self.at("2026-01-31T11:00:00Z")))
            _ = try await store.ingest(tenant: "acme", samples: samples)

            let status = try await store.environmentStatus(tenant: "acme", environment: "prod", now: Self.at("2026-02-15T00:00:00Z"))
            #expect(status.projection.spendSoFar.decimalString == "7.20")
            #expect(status.runRateHour == Self.at("2026-02-14T23:00:00Z"))
            #expect(status.projection.runRatePerHour.decimalString == "0.20")
            #expect(status.projection.hoursLeft == 336)  // 14 days left of February 2026
            #expect(status.projection.forecast.decimalString == "74.40")  // 7.20 + 0.20 × 336
            #expect(status.services.map(\.service) == ["api", "web"])
            #expect(status.services.map(\.spendSoFar.decimalString) == ["4.80", "2.40"])

            // On the 14th at 12:30, today's hours come from the hourly rollup (up to now).
            let midday = try await store.environmentStatus(tenant: "acme", environment: "prod", now: Self.at("2026-02-14T12:30:00Z"))
            #expect(midday.projection.spendSoFar.decimalString == "5.00")  // 2.40 + 13 hours × 0.20
            #expect(midday.projection.runRatePerHour.decimalString == "0.20")

            // A billing month starting on the 15th: on the 15th the new period has nothing yet.
            _ = try await store.setBillingPeriod(tenant: "acme", period: BillingPeriod(kind: .month, startDay: 15), actor: actor)
            let shifted = try await store.environmentStatus(tenant: "acme", environment: "prod", now: Self.at("2026-02-15T00:00:00Z"))
            #expect(shifted.projection.periodStart == Self.at("2026-02-15T00:00:00Z"))
            #expect(shifted.projection.periodEnd == Self.at("2026-03-15T00:00:00Z"))
            #expect(shifted.projection.spendSoFar == .zero)
            #expect(shifted.projection.runRatePerHour.decimalString == "0.20")
        }
    }

    @Test("GET …/status answers for the current period", arguments: TestEngine.available)
    func statusRoute(engine: TestEngine) async throws {
        try await TestApp.fresh(engine: engine).test { client, _ in
            let response = try await client.send(.get, "/v1/tenants/acme/environments/prod/status")
            #expect(response.status == .ok)
            #expect(response.text.contains(#""spend_so_far":"0.00""#))
            #expect(response.text.contains(#""hours_left":"#))
            #expect(try await client.send(.get, "/v1/tenants/acme/environments/PROD/status").status == .badRequest)
        }
    }
}
