import BudgetTestSupport
import Foundation
import Testing

@Suite("The built binary: import-focus and status", .serialized, .timeLimit(.minutes(3)))
struct CostCommandsTests {
    static let admin = "e2e-admin-token-0123456789"

    static let focusFixture = """
        "AvailabilityZone","BilledCost","BillingCurrency","ChargeCategory","ChargePeriodEnd","ChargePeriodStart","EffectiveCost","ProviderName","ServiceName","Tags"
        NULL,0.10000000000,"USD","Usage","2024-09-18 23:00:00","2024-09-18 22:00:00",0.08,"AWS","Amazon Elastic Compute Cloud","{""application"": ""api"", ""environment"": ""prod""}"
        NULL,0.25,"USD","Usage","2024-09-18 23:00:00","2024-09-18 22:00:00",0.25,"AWS","Amazon Elastic Compute Cloud","{""application"": ""web"", ""environment"": ""prod""}"
        NULL,1.50,"USD","Adjustment","2024-10-01 00:00:00","2024-09-01 00:00:00",1.50,"AWS","Amazon Elastic Compute Cloud","{""application"": ""api"", ""environment"": ""prod""}"
        NULL,-0.40,"USD","Credit","2024-10-01 00:00:00","2024-09-01 00:00:00",-0.40,"AWS","Amazon Elastic Compute Cloud","{""application"": ""api"", ""environment"": ""prod""}"
        NULL,NULL,"USD","Usage","2024-09-18 23:00:00","2024-09-18 22:00:00",0,"AWS","Amazon S3",NULL
        """

    @Test("import-focus: credits and adjustments count, bad rows are named, a re-import adds nothing, the bill sits beside the estimate")
    func importFocus() async throws {
        let url = try await TestDatabase.make()
        let server = try ServeProcess(environment: ["DATABASE_URL": url.urlString, "CHARTLY_ADMIN_TOKEN": Self.admin])
        defer { _ = try? server.process.terminate() }
        try await server.waitUntilReady()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("focus-\(UUID().uuidString).csv").path
        try Self.focusFixture.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }

        let first = try await ChartlyBinary.run(["import-focus", path, "--tenant", "acme", "--server", server.baseURL, "--token", Self.admin])
        #expect(first.status == 5, "\(first.stdout) \(first.stderr)")
        #expect(first.stdout.contains("accepted 4, duplicates 0, rejected 1"), "\(first.stdout)")
        #expect(first.stdout.contains("line 6: BilledCost"), "\(first.stdout)")
        #expect(first.stdout.contains("billed cost in the file: 1.45 USD"), "\(first.stdout)")

        let again = try await ChartlyBinary.run(["import-focus", path, "--tenant", "acme", "--server", server.baseURL, "--token", Self.admin])
        #expect(again.stdout.contains("accepted 0, duplicates 4, rejected 1"), "\(again.stdout)")

        let (status, body) = try await HTTP.get(
            "\(server.baseURL)/v1/tenants/acme/costs?from=2024-09-01T00:00:00Z&to=2024-10-01T00:00:00Z&include=billed",
            headers: ["Authorization": "Bearer \(Self.admin)"]
        )
        #expect(status == 200)
        #expect(body.contains(#""billed_total":"1.45""#), "\(body)")
        #expect(body.contains(#""effective_total":"1.43""#), "\(body)")
        #expect(body.contains(#""estimate_minus_billed":"-1.45""#), "\(body)")
        try await server.stop()
    }

    @Test("status prints spend, run rate and forecast per service, or the JSON")
    func statusCommand() async throws {
        let url = try await TestDatabase.make()
        let server = try ServeProcess(environment: ["DATABASE_URL": url.urlString, "CHARTLY_ADMIN_TOKEN": Self.admin])
        defer { _ = try? server.process.terminate() }
        try await server.waitUntilReady()
        let headers = ["Authorization": "Bearer \(Self.admin)"]
        let (cardStatus, _) = try await HTTP.send(
            "\(server.baseURL)/v1/tenants/acme/rate-card", method: .PUT, headers: headers.merging(["Content-Type": "application/json"]) { $1 },
            body: #"{"currency":"USD","effective_from":"2020-01-01T00:00:00Z","prices":{"cpu_cores":"0.04"}}"#
        )
        #expect(cardStatus == 201)
        // Two hours ago, 3 cores for an hour: 0.12 spent, and the run rate of a complete hour at most.
        let now = Date()
        let hourStart = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 3600).rounded(.down) * 3600 - 3600)
        let start = hourStart.ISO8601Format()
        let end = hourStart.addingTimeInterval(3600).ISO8601Format()
        let (ingested, _) = try await HTTP.post(
            "\(server.baseURL)/v1/tenants/acme/usage", headers: headers,
            body: #"{"samples":[{"environment":"prod","service":"api","resource":"cpu_cores","quantity":3,"start":"\#(start)","end":"\#(end)"}]}"#
        )
        #expect(ingested == 200)
        let table = try await ChartlyBinary.run(["status", "--tenant", "acme", "--env", "prod", "--server", server.baseURL, "--token", Self.admin])
        #expect(table.status == 0, "\(table.stderr)")
        // In the first hour of a month the sample belongs to the previous period (and still sets the run rate).
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let samePeriod = calendar.component(.month, from: hourStart) == calendar.component(.month, from: now)
        let expectedSpend = samePeriod ? "0.12" : "0.00"
        #expect(table.stdout.contains("spend so far   \(expectedSpend) USD"), "\(table.stdout)")
        #expect(table.stdout.contains("run rate       0.12 USD/h"), "\(table.stdout)")
        #expect(table.stdout.contains("api"))
        let json = try await ChartlyBinary.run(["status", "--tenant", "acme", "--json", "--server", server.baseURL, "--token", Self.admin])
        if samePeriod { #expect(json.stdout.contains(#""spend_so_far":"0.12""#), "\(json.stdout)") }
        try await server.stop()
    }
}
