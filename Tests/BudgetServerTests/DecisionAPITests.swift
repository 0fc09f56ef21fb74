import BudgetCore
import BudgetServer
import BudgetStore
import BudgetTestSupport
import Foundation
import HummingbirdTesting
import NIOCore
import Testing

struct DecisionBody: Decodable {
    struct Reason: Decodable {
        var code: String
        var limit_name: String
        var limit: String
        var value: String
        var message: String
        var enforcement: String
    }
    var decision_id: String
    var request_id: String
    var outcome: String
    var allowed_replicas: Int
    var reserved_replicas: Int
    var reasons: [Reason]
    var incremental_cost_per_hour: String?
    var projected_period_spend: String?
    var cap: String?
    var headroom: String?
    var policy_version: Int?
    var rate_card_version: Int?
    var evaluated_at: String
    var repeated: Bool
}

// Ten minutes: on Citus a test first waits for its own database, set up and distributed after the others'.
@Suite("Caps, budgets, policies and the decision API over HTTP", .timeLimit(.minutes(10)))
struct DecisionAPITests {
    static let card = #"{"currency":"USD","effective_from":"2026-01-01T00:00:00Z","prices":{"cpu_cores":"0.05"}}"#
    static let policy = #"{"min_replicas":1,"max_replicas":20,"scale_up":{"max_step_replicas":8,"cooldown_seconds":0}}"#

    static func decision(_ id: String, from: Int = 2, to: Int, signal: String = "queue_depth", service: String = "api") -> String {
        #"{"request_id":"\#(id)","environment":"prod","service":"\#(service)","current_replicas":\#(from),"desired_replicas":\#(to),"per_replica":{"cpu_cores":2},"signals":[{"name":"\#(signal)","value":120}]}"#
    }

    static func prepared(_ client: some TestClientProtocol, cap: String = #"{"name":"prod-cap","hourly_run_rate":"1.00"}"#) async throws {
        #expect(try await client.send(.put, "/v1/tenants/acme/rate-card", body: card).status == .created)
        #expect(try await client.send(.put, "/v1/tenants/acme/environments/prod/services/api/policy", body: policy).status == .created)
        #expect(try await client.send(.put, "/v1/tenants/acme/environments/prod/cap", body: cap).status == .created)
    }

    @Test("allow, then clamp at the cap, then deny — with reasons, costs and versions", arguments: TestEngine.available)
    func outcomes(engine: TestEngine) async throws {
        try await TestApp.fresh(engine: engine).test { client, _ in
            try await Self.prepared(client)
            // 1.00/h cap at 0.10 per replica: 10 replicas of headroom.
            let allow = try await client.send(.post, "/v1/tenants/acme/decisions", body: Self.decision("a", to: 8)).decode(DecisionBody.self)
            #expect(allow.outcome == "allow")
            #expect(allow.allowed_replicas == 8)
            #expect(allow.reserved_replicas == 6)
            #expect(allow.incremental_cost_per_hour == "0.60")
            #expect(allow.policy_version == 1)
            #expect(allow.rate_card_version == 1)
            let clamp = try await client.send(.post, "/v1/tenants/acme/decisions", body: Self.decision("b", from: 8, to: 14)).decode(DecisionBody.self)
            #expect(clamp.outcome == "clamp")
            #expect(clamp.allowed_replicas == 12)
            #expect(clamp.reasons.map(\.code) == ["cap_hourly_run_rate"])
            #expect(clamp.reasons.first?.limit_name == "prod-cap")
            #expect(clamp.reasons.first?.limit == "1.00")
            #expect(clamp.reasons.first?.value == "1.20")
            let deny = try await client.send(.post, "/v1/tenants/acme/decisions", body: Self.decision("c", from: 12, to: 13)).decode(DecisionBody.self)
            #expect(deny.outcome == "deny")
            #expect(deny.reasons.first?.message == "exceeded cap prod-cap: requested +0.10 USD/h, run rate 1.10 USD/h, limit 1.00 USD/h")
        }
    }

    @Test("a stored decision reads back, replays identically, and its reservation can be released once", arguments: TestEngine.available)
    func readReplayRelease(engine: TestEngine) async throws {
        try await TestApp.fresh(engine: engine).test { client, _ in
            try await Self.prepared(client)
            let decided = try await client.send(.post, "/v1/tenants/acme/decisions", body: Self.decision("r", to: 12)).decode(DecisionBody.self)
            let stored = try await client.send(.get, "/v1/tenants/acme/decisions/\(decided.decision_id)")
            #expect(stored.status == .ok)
            #expect(stored.text.contains(#""snapshot":{"#))
            let replay = try await client.send(.post, "/v1/tenants/acme/decisions/\(decided.decision_id)/replay")
            #expect(replay.text.contains(#""identical":true"#))
            #expect(try await client.send(.post, "/v1/tenants/acme/decisions/\(decided.decision_id)/release").status == .ok)
            let twice = try await client.send(.post, "/v1/tenants/acme/decisions/\(decided.decision_id)/release")
            #expect(twice.status == .conflict)
            #expect(twice.json?.error.code == "nothing_reserved")
            #expect(try await client.send(.get, "/v1/tenants/acme/decisions/00000000-0000-0000-0000-000000000000").status == .notFound)
            #expect(try await client.send(.get, "/v1/tenants/acme/decisions/not-a-uuid").status == .notFound)
        }
    }

    @Test("the same request_id answers the same decision; a different body with it is a 409", arguments: TestEngine.available)
    func idempotentRequests(engine: TestEngine) async throws {
        try await TestApp.fresh(engine: engine).test { client, _ in
            try await Self.prepared(client)
            let first = try await client.send(.post, "/v1/tenants/acme/decisions", body: Self.decision("same", to: 5)).decode(DecisionBody.self)
            let again = try await client.send(.post, "/v1/tenants/acme/decisions", body: Self.decision("same", to: 5)).decode(DecisionBody.self)
            #expect(again.decision_id == first.decision_id)
            #expect(again.repeated)
            let other = try await client.send(.post, "/v1/tenants/acme/decisions", body: Self.decision("same", to: 6))
            #expect(other.status == .conflict)
            #expect(other.json?.error.field == "request_id")
        }
    }

    @Test("error rate alone is refused as forbidden_signal")
    func forbiddenSignal() async throws {
        try await TestApp.fresh().test { client, _ in
            try await Self.prepared(client)
            let answer = try await client.send(.post, "/v1/tenants/acme/decisions", body: Self.decision("e", to: 4, signal: "error_rate")).decode(DecisionBody.self)
            #expect(answer.outcome == "deny")
            #expect(answer.reasons.map(\.code) == ["forbidden_signal"])
        }
    }

    @Test("bad decision requests name the field")
    func badRequests() async throws {
        try await TestApp.fresh().test { client, _ in
            let cases: [(String, String)] = [
                (#"{"environment":"prod","service":"api","current_replicas":1,"desired_replicas":2}"#, "request_id"),
                (#"{"request_id":"x","environment":"Prod","service":"api","current_replicas":1,"desired_replicas":2}"#, "environment"),
                (#"{"request_id":"x","environment":"prod","service":"api","current_replicas":-1,"desired_replicas":2}"#, "current_replicas"),
                (#"{"request_id":"x","environment":"prod","service":"api","current_replicas":1,"desired_replicas":"2"}"#, "desired_replicas"),
                (#"{"request_id":"x","environment":"prod","service":"api","current_replicas":1,"desired_replicas":2,"per_replica":{"gpu":1}}"#, "per_replica.gpu"),
                (#"{"request_id":"x","environment":"prod","service":"api","current_replicas":1,"desired_replicas":2,"signals":[{"name":"vibes","value":1}]}"#, "signals[0].name"),
            ]
            for (body, field) in cases {
                let response = try await client.send(.post, "/v1/tenants/acme/decisions", body: body)
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.json?.error.field == field, "\(body): \(response.text)")
            }
        }
    }

    @Test("deciding needs the decide scope; managing needs manage; reading needs read")
    func scopes() async throws {
        try await TestApp.fresh().test { client, _ in
            try await Self.prepared(client)
            let reader = try await client.createToken(scopes: ["acme:read"])
            let decider = try await client.createToken(scopes: ["acme:decide"])
            #expect(try await client.send(.post, "/v1/tenants/acme/decisions", body: Self.decision("s1", to: 3), token: reader).status == .forbidden)
            #expect(try await client.send(.post, "/v1/tenants/acme/decisions", body: Self.decision("s2", to: 3), token: decider).status == .ok)
            #expect(try await client.send(.put, "/v1/tenants/acme/environments/prod/cap", body: #"{"period_spend":"1"}"#, token: decider).status == .forbidden)
            #expect(try await client.send(.get, "/v1/tenants/acme/environments/prod/cap", token: reader).status == .ok)
        }
    }

    @Test("config writes report created / updated with changed fields / unchanged, and are audited", arguments: TestEngine.available)
    func configVersions(engine: TestEngine) async throws {
        try await TestApp.fresh(engine: engine).test { client, _ in
            let created = try await client.send(.put, "/v1/tenants/acme/budgets/q4", body: #"{"environment":"prod","amount":"1000.00"}"#)
            #expect(created.status == .created)
            #expect(created.text.contains(#""action":"created""#))
            let same = try await client.send(.put, "/v1/tenants/acme/budgets/q4", body: #"{"environment":"prod","amount":"1000.00"}"#)
            #expect(same.text.contains(#""action":"unchanged""#))
            let updated = try await client.send(.put, "/v1/tenants/acme/budgets/q4", body: #"{"environment":"prod","amount":"1200.00","enforce":true}"#)
            #expect(updated.text.contains(#""action":"updated""#))
            #expect(updated.text.contains(#""changed_fields":["amount","enforce"]"#), "\(updated.text)")
            #expect(updated.text.contains(#""version":2"#))
            #expect(try await client.send(.get, "/v1/tenants/acme/budgets").text.contains(#""name":"q4""#))
            #expect(try await client.send(.delete, "/v1/tenants/acme/budgets/q4").status == .ok)
            #expect(try await client.send(.get, "/v1/tenants/acme/budgets/q4").status == .notFound)
            let audit = try await client.send(.get, "/v1/audit?tenant=acme&target_kind=budget")
            for action in ["budget.create", "budget.update", "budget.delete"] { #expect(audit.text.contains(action)) }
            // The secret of an alert route is never shown back, nor written to the audit log.
            let route = try await client.send(.put, "/v1/tenants/acme/alert-routes/hook", body: #"{"url":"https://example.com/hook","secret":"0123456789abcdef-secret"}"#)
            #expect(route.status == .created)
            #expect(!route.text.contains("0123456789abcdef-secret"))
            #expect(!(try await client.send(.get, "/v1/audit?target_kind=alert_route").text.contains("0123456789abcdef-secret")))
        }
    }

    @Test("invalid config names the field")
    func invalidConfig() async throws {
        try await TestApp.fresh().test { client, _ in
            let cases: [(String, String, String)] = [
                ("/v1/tenants/acme/environments/prod/cap", #"{"enforcement":"deny"}"#, "period_spend"),
                ("/v1/tenants/acme/environments/prod/cap", #"{"period_spend":100}"#, "period_spend"),
                ("/v1/tenants/acme/environments/prod/cap", #"{"period_spend":"1","enforcement":"veto"}"#, "enforcement"),
                ("/v1/tenants/acme/environments/prod/services/api/policy", #"{"max_replicas":3}"#, "min_replicas"),
                ("/v1/tenants/acme/environments/prod/services/api/policy", #"{"min_replicas":5,"max_replicas":3}"#, "max_replicas"),
                ("/v1/tenants/acme/environments/prod/services/api/policy", #"{"min_replicas":1,"max_replicas":3,"allowed_signals":["error_rate"]}"#, "allowed_signals[0]"),
                ("/v1/tenants/acme/environments/prod/services/api/policy", #"{"min_replicas":1,"max_replicas":3,"scale_up":{"window_replicas":4,"window_seconds":null}}"#, "scale_up.window_seconds"),
                ("/v1/tenants/acme/budgets/b", #"{"amount":"10"}"#, "environment"),
                ("/v1/tenants/acme/budgets/b", #"{"environment":"prod","amount":"-1"}"#, "amount"),
                ("/v1/tenants/acme/alert-routes/r", #"{"url":"ftp://x"}"#, "url"),
            ]
            for (path, body, field) in cases {
                let response = try await client.send(.put, path, body: body)
                // max_replicas below min_replicas, a window limit without its window: each valid, together contradictory (422).
                let contradictory = body.contains(#""min_replicas":5,"max_replicas":3"#) || body.contains(#""window_seconds":null"#)
                #expect(response.status == (contradictory ? .unprocessableContent : .badRequest), "\(path) \(body)")
                #expect(response.json?.error.field == field, "\(path) \(body): \(response.text)")
            }
        }
    }

    @Test("POST /v1/apply: a plan with changed fields, dry run changes nothing, prune deletes what the documents dropped", arguments: TestEngine.available)
    func applyRoute(engine: TestEngine) async throws {
        try await TestApp.fresh(engine: engine).test { client, store in
            func documents(_ amount: String, policy: Bool) -> String {
                var list = [
                    #"{"source":"t.yaml:1","kind":"Budget","metadata":{"tenant":"acme","environment":"prod","name":"q4"},"spec":{"amount":"\#(amount)"}}"#,
                    #"{"source":"t.yaml:9","kind":"EnvironmentCap","metadata":{"tenant":"acme","environment":"prod"},"spec":{"period_spend":"5000.00"}}"#,
                ]
                if policy {
                    list.append(#"{"source":"t.yaml:20","kind":"ScalingPolicy","metadata":{"tenant":"acme","environment":"prod","service":"api"},"spec":{"min_replicas":1,"max_replicas":5}}"#)
                }
                return list.joined(separator: ",")
            }
            let first = try await client.send(.post, "/v1/apply", body: #"{"documents":[\#(documents("100", policy: true))]}"#)
            #expect(first.status == .ok)
            #expect(first.text.contains(#""action":"create""#))
            let dry = try await client.send(.post, "/v1/apply", body: #"{"dry_run":true,"documents":[\#(documents("200", policy: false))]}"#)
            #expect(dry.text.contains(#""applied":false"#))
            #expect(dry.text.contains(#""changed_fields":["amount"]"#), "\(dry.text)")
            #expect(dry.text.contains(#""action":"delete""#))
            #expect(try await store.count("SELECT count(*) FROM scaling_policies") == 1)
            _ = try await client.send(.post, "/v1/apply", body: #"{"documents":[\#(documents("200", policy: false))]}"#)
            #expect(try await store.count("SELECT count(*) FROM scaling_policies") == 0)
            #expect(try await store.count("SELECT count(*) FROM audit_log WHERE action = 'policy.delete'") == 1)
            let bad = try await client.send(.post, "/v1/apply", body: #"{"documents":[{"source":"x.yaml:3","kind":"Budget","metadata":{"tenant":"acme","environment":"prod","name":"q5"},"spec":{"amount":"lots"}}]}"#)
            #expect(bad.status == .unprocessableContent, "a spec that does not make its kind is 422, as Kubernetes answers an invalid object")
            #expect(bad.json?.error.field == "documents[0].spec.amount", "\(bad.text)")
            #expect(bad.json?.error.message.hasPrefix("x.yaml:3") == true, "\(bad.text)")
            let otherTenant = try await client.createToken(scopes: ["globex:manage"])
            #expect(try await client.send(.post, "/v1/apply", body: #"{"documents":[\#(documents("1", policy: false))]}"#, token: otherTenant).status == .forbidden)
        }
    }
}
