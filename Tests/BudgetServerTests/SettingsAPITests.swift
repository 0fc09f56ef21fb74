import BudgetCore
import BudgetServer
import BudgetStore
import BudgetTestSupport
import Foundation
import HummingbirdTesting
import Testing

@Suite("Tenant settings: billing period and retention over HTTP", .timeLimit(.minutes(2)))
struct SettingsAPITests {
    struct Settings: Decodable, Equatable {
        var period: String
        var period_start_day: Int
        var raw_retention_days: Int
        var hourly_retention_months: Int
        var retention_is_default: Bool
    }

    @Test("defaults are reported; a PUT changes only what it names; bad values name the field and change nothing")
    func retentionSettings() async throws {
        try await TestApp.fresh().test { client, _ in
            let initial = try await client.send(.get, "/v1/tenants/acme/settings").decode(Settings.self)
            #expect(initial == Settings(period: "month", period_start_day: 1, raw_retention_days: 35, hourly_retention_months: 3, retention_is_default: true))

            let period = try await client.send(.put, "/v1/tenants/acme/settings", body: #"{"period":"month","period_start_day":15}"#).decode(Settings.self)
            #expect(period.period_start_day == 15)
            #expect(period.raw_retention_days == 35)
            let retention = try await client.send(.put, "/v1/tenants/acme/settings", body: #"{"raw_retention_days":10}"#).decode(Settings.self)
            #expect(retention == Settings(period: "month", period_start_day: 15, raw_retention_days: 10, hourly_retention_months: 3, retention_is_default: false))

            for (body, field) in [
                (#"{"raw_retention_days":1}"#, "raw_retention_days"), (#"{"hourly_retention_months":0}"#, "hourly_retention_months"),
                (#"{"period_start_day":31,"raw_retention_days":20}"#, "period_start_day"),
            ] {
                let refused = try await client.send(.put, "/v1/tenants/acme/settings", body: body)
                #expect(refused.status == .badRequest, "\(body)")
                #expect(refused.json?.error.field == field, "\(body)")
            }
            #expect(try await client.send(.get, "/v1/tenants/acme/settings").decode(Settings.self) == retention)
        }
    }

    @Test("after retention compacts a month of hourly costs, asking for it hourly says so; daily still answers")
    func compactedHours() async throws {
        try await TestApp.fresh().test { client, store in
            #expect(try await client.send(.put, "/v1/tenants/acme/rate-card", body: DecisionAPITests.card).status == .created)
            #expect(try await client.send(.put, "/v1/tenants/acme/settings", body: #"{"hourly_retention_months":1}"#).status == .ok)
            let samples = [usage("cpu_cores", "2", "2026-10-10T10:00:00Z", "2026-10-10T11:00:00Z"), usage("cpu_cores", "2", "2026-11-10T10:00:00Z", "2026-11-10T11:00:00Z")]
            #expect(try await client.postJSON("/v1/tenants/acme/usage", #"{"samples":[\#(samples.joined(separator: ","))]}"#).status == .ok)
            let report = try await store.applyRetention(now: Timestamp(year: 2026, month: 11, day: 29)!)
            // October of both hourly rollups, and the raw day Oct 10 (older than the default 35 days).
            #expect(report.dropped.map(\.parent).sorted() == ["cost_environment_hourly", "cost_hourly", "usage_samples"])

            let hourly = try await client.send(.get, "/v1/tenants/acme/costs?step=1h&from=2026-10-10T00:00:00Z&to=2026-10-11T00:00:00Z")
            #expect(hourly.status == .badRequest)
            #expect(hourly.json?.error.code == "compacted")
            #expect(hourly.json?.error.field == "from")
            struct Report: Decodable { var total: String }
            let daily = try await client.send(.get, "/v1/tenants/acme/costs?step=1d&from=2026-10-01T00:00:00Z&to=2026-12-01T00:00:00Z").decode(Report.self)
            #expect(daily.total == "0.20")
        }
    }
}
