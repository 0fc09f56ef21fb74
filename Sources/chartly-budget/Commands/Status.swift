import ArgumentParser
import Foundation

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show an environment's spend so far, run rate and forecast, per service (or all environments)."
    )

    @Option(help: "The tenant.")
    var tenant: String

    @Option(name: .customLong("env"), help: "The environment (default: every environment with cost this period).")
    var environment: String?

    @Flag(help: "Print the API's JSON instead of a table.")
    var json = false

    @OptionGroup var client: ClientOptions

    struct StatusAnswer: Decodable {
        struct Period: Decodable {
            var kind: String
            var start: String
            var end: String
            var hours_left: Double
        }
        struct Service: Decodable {
            var service: String
            var spend_so_far: String
            var run_rate_per_hour: String
        }
        struct Unpriced: Decodable {
            var resource: String
            var quantity: Double
            var unit: String
        }
        var environment: String
        var currency: String?
        var as_of: String
        var period: Period
        var spend_so_far: String
        var run_rate_per_hour: String
        var forecast: String
        var budget: String?
        var budget_name: String?
        var cap: String?
        var cap_name: String?
        var headroom: String?
        var services: [Service]
        var unpriced: [Unpriced]
    }

    struct CostsAnswer: Decodable {
        struct Series: Decodable { var key: String }
        var series: [Series]
    }

    func run() async throws {
        let api = APIClient(options: client)
        var environments: [String] = []
        if let environment {
            environments = [environment]
        } else {
            let costs = try await api.call(.GET, "/v1/tenants/\(tenant)/costs?group_by=environment&step=1d", as: CostsAnswer.self)
            environments = costs.series.map(\.key).sorted()
            if environments.isEmpty {
                print("tenant \(tenant) has no cost this period")
                return
            }
        }
        for (index, name) in environments.enumerated() {
            let answer = try await api.send(.GET, "/v1/tenants/\(tenant)/environments/\(name)/status")
            guard answer.status == 200 else {
                throw ClientFailure("the server answered \(answer.status): \(answer.error?.message ?? answer.text)")
            }
            if json {
                print(answer.text)
                continue
            }
            let status = try JSONDecoder().decode(StatusAnswer.self, from: answer.body)
            if index > 0 { print("") }
            print(StatusTable.render(status))
        }
    }
}

/// The readable form of an environment status.
enum StatusTable {
    static func render(_ status: Status.StatusAnswer) -> String {
        let currency = status.currency ?? ""
        var lines: [String] = []
        lines.append("\(status.environment) — \(status.period.kind) \(status.period.start.prefix(10)) to \(status.period.end.prefix(10)), \(String(format: "%.1f", status.period.hours_left)) hours left")
        lines.append("  spend so far   \(status.spend_so_far) \(currency)")
        lines.append("  run rate       \(status.run_rate_per_hour) \(currency)/h")
        lines.append("  forecast       \(status.forecast) \(currency)")
        if let budget = status.budget { lines.append("  budget         \(budget) \(currency) (\(status.budget_name ?? ""))") }
        if let cap = status.cap { lines.append("  cap            \(cap) \(currency) (\(status.cap_name ?? ""))") }
        if let headroom = status.headroom { lines.append("  headroom       \(headroom) \(currency) (\(status.cap == nil ? "budget" : "cap") minus forecast)") }
        if !status.services.isEmpty {
            let width = max(7, status.services.map(\.service.count).max() ?? 0)
            lines.append("")
            lines.append("  " + "SERVICE".padding(toLength: width, withPad: " ", startingAt: 0) + "  " + pad("SPEND", 16) + "  " + pad("RUN RATE/H", 14))
            for service in status.services {
                lines.append("  " + service.service.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + pad(service.spend_so_far, 16) + "  " + pad(service.run_rate_per_hour, 14))
            }
        }
        for unpriced in status.unpriced {
            lines.append("  unpriced \(unpriced.resource): \(String(format: "%.3f", unpriced.quantity)) \(unpriced.unit) (no price in the rate card)")
        }
        return lines.joined(separator: "\n")
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
