import ArgumentParser
import BudgetCore
import Foundation

struct Decide: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask whether a service may scale, and print the outcome and its reasons.",
        discussion: """
            Exit codes: 0 allow, 3 clamp, 4 deny, 1 failure. When the service cannot be reached (or answers 503), a
            scale-up fails closed: it is reported as denied (exit 4) with that reason. A scale-down then fails
            (exit 1): callers may scale down within their own min/max.
            """
    )

    @Option(help: "The tenant.") var tenant: String
    @Option(name: .customLong("env"), help: "The environment.") var environment: String
    @Option(help: "The service.") var service: String
    @Option(help: "Current replicas.") var from: Int
    @Option(help: "Desired replicas.") var to: Int
    @Option(help: "CPU cores per replica.") var cpu: Double?
    @Option(help: "Memory GiB per replica.") var memory: Double?
    @Option(help: "Storage GiB per replica.") var storage: Double?
    @Option(name: .customLong("signal"), help: "A trigger signal, name=value (repeat), e.g. queue_depth=120.") var signals: [String] = []
    @Option(help: "Idempotency key (default: a new UUID).") var requestID: String?
    @Flag(help: "Print the API's JSON.") var json = false
    @OptionGroup var client: ClientOptions

    struct Answer: Decodable {
        struct Reason: Decodable {
            var code: String
            var message: String
            var enforcement: String
        }
        var decision_id: String
        var outcome: String
        var allowed_replicas: Int
        var reasons: [Reason]
        var incremental_cost_per_hour: String?
        var projected_period_spend: String?
        var cap: String?
        var headroom: String?
        var currency: String?
    }

    func run() async throws {
        var perReplica: [String: Double] = [:]
        if let cpu { perReplica["cpu_cores"] = cpu }
        if let memory { perReplica["memory_gib"] = memory }
        if let storage { perReplica["storage_gib"] = storage }
        var parsedSignals: [Signal] = []
        for text in signals {
            let parts = text.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let value = Double(parts[1]) else { throw ValidationError("--signal takes name=value, got \(text)") }
            parsedSignals.append(Signal(name: String(parts[0]), value: value))
        }
        let request = DecisionRequest(
            requestID: requestID ?? UUID().uuidString.lowercased(), environment: environment, service: service,
            currentReplicas: from, desiredReplicas: to, perReplica: perReplica, signals: parsedSignals
        )
        if let problem = request.problem { throw ValidationError(problem.description) }
        let scaleUp = to > from
        let answer: APIClient.Answer
        do {
            answer = try await APIClient(options: client).send(.POST, "/v1/tenants/\(tenant)/decisions", json: try JSONEncoder().encode(request), timeout: .seconds(10))
        } catch let error as APIClient.Unreachable {
            return try failClosed(scaleUp: scaleUp, because: error.description)
        }
        if answer.status == 503 || answer.status >= 500 {
            return try failClosed(scaleUp: scaleUp, because: "the service answered \(answer.status): \(answer.error?.message ?? answer.text)")
        }
        guard answer.status == 200 else {
            throw ClientFailure("the server answered \(answer.status): \(answer.error?.message ?? answer.text)")
        }
        if json { print(answer.text) }
        let decision = try JSONDecoder().decode(Answer.self, from: answer.body)
        if !json {
            let currency = decision.currency.map { " \($0)" } ?? ""
            print("\(decision.outcome): \(service) in \(environment) \(from) → \(decision.allowed_replicas) replicas (asked \(to))")
            for reason in decision.reasons {
                print("  \(reason.enforcement == "deny" ? "✗" : "!") \(reason.code): \(reason.message)")
            }
            if let cost = decision.incremental_cost_per_hour { print("  incremental cost \(cost)\(currency)/h") }
            if let projected = decision.projected_period_spend { print("  projected period spend \(projected)\(currency)") }
            if let cap = decision.cap, let headroom = decision.headroom { print("  cap \(cap)\(currency), headroom \(headroom)\(currency)") }
            print("  decision \(decision.decision_id)")
        }
        switch decision.outcome {
        case "allow": return
        case "clamp": throw ExitCodes.clamped
        default: throw ExitCodes.denied
        }
    }

    func failClosed(scaleUp: Bool, because reason: String) throws {
        if scaleUp {
            print("deny: \(service) in \(environment) stays at \(from) replicas")
            print("  ✗ service_unreachable: failing closed for a scale-up — \(reason)")
            throw ExitCodes.denied
        }
        throw ClientFailure("\(reason); a scale-down may proceed within your own min/max replicas")
    }
}

struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-evaluate a stored decision with the pure engine and report whether the result is identical byte for byte.",
        discussion: "Exit code 0 identical, 1 different or failure."
    )

    @Argument(help: "The decision id.") var id: String
    @Option(help: "The tenant.") var tenant: String
    @OptionGroup var client: ClientOptions

    func run() async throws {
        struct Answer: Decodable { var identical: Bool }
        guard UUID(uuidString: id) != nil else { throw ClientFailure("'\(id)' is not a decision id (a UUID, from `decide --json` or the logs)") }
        let answer = try await APIClient(options: client).call(.POST, "/v1/tenants/\(tenant)/decisions/\(id)/replay", as: Answer.self)
        print(answer.identical ? "identical: the replay gives the same bytes" : "DIFFERENT: the replay does not match the stored result")
        if !answer.identical { throw ExitCodes.failure }
    }
}
