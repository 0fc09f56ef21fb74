import BudgetCore
import BudgetServer
import BudgetStore
import BudgetTestSupport
import Foundation
import Testing

/// A cluster's changes through the webhook, over real TLS with a test CA, on a real PostgreSQL.
///
/// Tenant acme: cpu 0.10 USD per core-hour, memory 0.01 per GiB-hour; a worker replica requests 1 core and
/// 2Gi (0.12 USD/h); environment prod (namespace shop) has the hard cap prod-hard of 1.20 USD/h: 10 replicas.
@Suite("Kubernetes admission webhook over TLS", .timeLimit(.minutes(5)))
struct AdmissionWebhookTests {
    static let configuration = #"""
        {"documents":[
          {"kind":"RateCard","metadata":{"tenant":"acme"},"spec":{"currency":"USD","effective_from":"2026-01-01T00:00:00Z","prices":{"cpu_cores":"0.10","memory_gib":"0.01"}}},
          {"kind":"ScalingPolicy","metadata":{"tenant":"acme","environment":"prod","service":"worker"},"spec":{"min_replicas":1,"max_replicas":50,"scale_up":{"cooldown_seconds":0}}},
          {"kind":"EnvironmentCap","metadata":{"tenant":"acme","environment":"prod","name":"prod-hard"},"spec":{"hourly_run_rate":"1.20"}},
          {"kind":"KubernetesBinding","metadata":{"tenant":"acme","name":"cluster-a"},"spec":{"namespaces":{"shop":"prod","shop-staging":"staging"},"service_label":"app.kubernetes.io/name","signal":"cpu_utilization","unbound_namespaces":"allow"}}
        ]}
        """#

    struct Webhook: Sendable {
        let client: TrustingClient
        let servers: [TLSTestServer]
        let token: String
        var server: TLSTestServer { servers[0] }
        var url: String { server.baseURL + "/v1/tenants/acme/kubernetes/admission" }

        func review(_ body: String, on server: TLSTestServer? = nil) async throws -> ReviewAnswer {
            let base = (server ?? self.server).baseURL
            let (status, text) = try await client.post(base + "/v1/tenants/acme/kubernetes/admission", body, token: token)
            guard status == 200 else { throw TestFailure("webhook answered \(status): \(text)") }
            return try JSONDecoder().decode(ReviewAnswer.self, from: Data(text.utf8))
        }

        func reservations() async throws -> (count: Int, ratePerHour: Money) {
            let live = try await server.inspect { store in try await store.liveReservations(tenant: "acme", environment: "prod") }
            return (live.count, live.ratePerHour)
        }
    }

    /// One database, `replicas` servers of the service on it, the configuration applied and a decide token.
    static func withWebhook<T: Sendable>(replicas: Int = 1, configuration: String = configuration, _ body: @escaping @Sendable (Webhook) async throws -> T) async throws -> T {
        let url = try await TestDatabase.make()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let authority = try TestCertificateAuthority()
        let (certificate, key) = try authority.serverCertificate()
        let certificatePath = try directory.write("tls.crt", certificate)
        let keyPath = try directory.write("tls.key", key)
        let client = try TrustingClient(caPEM: try authority.pem)
        do {
            let result = try await TLSTestServer.run(databases: Array(repeating: url, count: replicas), certificate: certificatePath, key: keyPath) { servers in
                let base = servers[0].baseURL
                let applied = try await client.post(base + "/v1/apply", configuration, token: TestApp.adminToken)
                guard applied.status == 200 else { throw TestFailure("apply: \(applied.status) \(applied.body)") }
                let created = try await client.post(base + "/v1/tokens", #"{"name":"cluster-a","scopes":["acme:decide"]}"#, token: TestApp.adminToken)
                guard created.status == 201 else { throw TestFailure("token: \(created.status) \(created.body)") }
                let token = try JSONDecoder().decode(CreatedToken.self, from: Data(created.body.utf8)).token
                return try await body(Webhook(client: client, servers: servers, token: token))
            }
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    @Test("a CREATE within the cap is allowed, echoes the uid, and is a stored, replayable decision with the user and object")
    func allow() async throws {
        try await Self.withWebhook { webhook in
            let uid = "705ab4f5-6393-11e8-b7cc-42010a800002"
            let answer = try await webhook.review(AdmissionFixtures.createReview(uid: uid, replicas: 3))
            #expect(answer.apiVersion == "admission.k8s.io/v1")
            #expect(answer.kind == "AdmissionReview")
            #expect(answer.response.uid == uid)
            #expect(answer.response.allowed)
            #expect(answer.response.patch == nil)
            #expect(answer.response.status == nil)
            let id = try #require(answer.decisionID)
            let stored = try await webhook.client.get(webhook.server.baseURL + "/v1/tenants/acme/decisions/\(id)", token: TestApp.adminToken)
            #expect(stored.status == 200)
            struct Stored: Decodable {
                struct Request: Decodable {
                    struct Origin: Decodable {
                        var source: String
                        var user: String?
                        var details: JSONValue?
                    }
                    var request_id: String
                    var environment: String
                    var service: String
                    var current_replicas: Int
                    var desired_replicas: Int
                    var per_replica: [String: Double]
                    var origin: Origin?
                }
                var request: Request
            }
            let request = try JSONDecoder().decode(Stored.self, from: Data(stored.body.utf8)).request
            #expect(request.request_id == "k8s:\(uid)")
            #expect(request.environment == "prod")
            #expect(request.service == "worker")
            #expect(request.current_replicas == 0)
            #expect(request.desired_replicas == 3)
            #expect(request.per_replica == ["cpu_cores": 1, "memory_gib": 2])
            #expect(request.origin?.source == "kubernetes_admission")
            #expect(request.origin?.user == "alice@example.com")
            #expect(request.origin?.details?["object"]?["metadata"]?["name"]?.stringValue == "worker")
            #expect(request.origin?.details?["object"]?["spec"]?["replicas"]?.numberValue == 3)
            let replay = try await webhook.client.post(webhook.server.baseURL + "/v1/tenants/acme/decisions/\(id)/replay", "", token: TestApp.adminToken)
            #expect(replay.body.contains(#""identical":true"#))
            #expect(try await webhook.reservations().ratePerHour == Money(decimalString: "0.36"))
        }
    }

    @Test("a scale-up past the cap is clamped: allowed with a JSONPatch of /spec/replicas and a warning naming the cap")
    func clamp() async throws {
        try await Self.withWebhook { webhook in
            _ = try await webhook.review(AdmissionFixtures.createReview(replicas: 3))
            let answer = try await webhook.review(AdmissionFixtures.updateReview(from: 3, to: 12))
            #expect(answer.response.allowed)
            #expect(answer.response.patchType == "JSONPatch")
            #expect(answer.patchOperations == [["op": .string("replace"), "path": .string("/spec/replicas"), "value": .int(10)]])
            let warning = try #require(answer.response.warnings?.first)
            #expect(warning.hasPrefix("chartly-budget: clamp: worker in prod 3 → 10 (asked 12): exceeded cap prod-hard"))
            #expect(answer.response.auditAnnotations?["outcome"] == "clamp")
            #expect(try await webhook.reservations().ratePerHour == Money(decimalString: "1.20"))
        }
    }

    @Test("a scale-up with no headroom is denied: allowed false, 403, a quota-style message kubectl shows")
    func deny() async throws {
        try await Self.withWebhook { webhook in
            _ = try await webhook.review(AdmissionFixtures.createReview(replicas: 10))
            let answer = try await webhook.review(AdmissionFixtures.updateReview(from: 10, to: 11))
            #expect(!answer.response.allowed)
            let status = try #require(answer.response.status)
            #expect(status.code == 403)
            #expect(status.reason == "Forbidden")
            #expect(
                status.message
                    == "chartly-budget: deny: worker in prod 10 → 10 (asked 11): exceeded cap prod-hard: requested +0.12 USD/h, run rate 1.32 USD/h, limit 1.20 USD/h"
            )
            #expect(answer.response.patch == nil)
        }
    }

    @Test("dryRun evaluates without reserving or storing anything")
    func dryRun() async throws {
        try await Self.withWebhook { webhook in
            let uid = UUID().uuidString.lowercased()
            let answer = try await webhook.review(AdmissionFixtures.review(uid: uid, operation: "CREATE", object: AdmissionFixtures.workload(replicas: 14), oldObject: nil, dryRun: true))
            #expect(answer.response.allowed)
            #expect(answer.patchOperations?.first?["value"] == .int(10))
            #expect(answer.decisionID == "none (dry run)")
            #expect(try await webhook.reservations().count == 0)
            let stored = try await webhook.server.inspect { store in try await store.decision(tenant: "acme", requestID: "k8s:\(uid)") }
            #expect(stored == nil)
        }
    }

    @Test("the same uid twice answers the same decision and reserves once")
    func sameUID() async throws {
        try await Self.withWebhook { webhook in
            let review = AdmissionFixtures.createReview(uid: "b7c3d1e2-0000-4a4a-8b8b-123456789abc", replicas: 4)
            let first = try await webhook.review(review)
            let second = try await webhook.review(review)
            #expect(first.decisionID != nil)
            #expect(first.decisionID == second.decisionID)
            #expect(first.response.allowed == second.response.allowed)
            let live = try await webhook.reservations()
            #expect(live.count == 1)
            #expect(live.ratePerHour == Money(decimalString: "0.48"))
        }
    }

    @Test("a requests-only change decides the difference for every replica")
    func requestsOnly() async throws {
        try await Self.withWebhook { webhook in
            _ = try await webhook.review(AdmissionFixtures.createReview(replicas: 5))  // 0.60/h reserved
            // 5 replicas from 1 to 2 cores: +0.50/h, 1.10 of 1.20.
            let bigger = try await webhook.review(
                AdmissionFixtures.updateReview(from: 5, to: 5, containers: [.init(cpu: "2")], oldContainers: [.init(cpu: "1")])
            )
            #expect(bigger.response.allowed)
            #expect(bigger.response.patch == nil)
            #expect(try await webhook.reservations().ratePerHour == Money(decimalString: "1.10"))
            // From 2 to 2500m: +0.25/h more would be 1.35.
            let denied = try await webhook.review(
                AdmissionFixtures.updateReview(from: 5, to: 5, containers: [.init(cpu: "2500m")], oldContainers: [.init(cpu: "2")])
            )
            #expect(!denied.response.allowed)
            #expect(denied.response.status?.code == 403)
            #expect(denied.response.status?.message.contains("exceeded cap prod-hard: requested +0.25 USD/h") == true)
            // An unchanged template and replica count is allowed without a decision.
            let same = try await webhook.review(AdmissionFixtures.updateReview(from: 5, to: 5))
            #expect(same.response.allowed)
            #expect(same.decisionID == nil)
        }
    }

    @Test("kubectl scale uses the requests last admitted for the workload; an unknown workload is refused under the cap")
    func scaleSubresource() async throws {
        try await Self.withWebhook { webhook in
            _ = try await webhook.review(AdmissionFixtures.createReview(replicas: 2))
            let scaled = try await webhook.review(AdmissionFixtures.scaleReview(from: 2, to: 12))
            #expect(scaled.response.allowed)
            #expect(scaled.patchOperations == [["op": .string("replace"), "path": .string("/spec/replicas"), "value": .int(10)]])
            #expect(scaled.response.warnings?.first?.contains("worker in prod 2 → 10 (asked 12)") == true)
            #expect(try await webhook.reservations().ratePerHour == Money(decimalString: "1.20"))

            // A StatefulSet worker was never admitted with its template, and worker reported no usage.
            let unknown = try await webhook.review(AdmissionFixtures.scaleReview(resource: "statefulsets", from: 1, to: 3))
            #expect(!unknown.response.allowed)
            #expect(unknown.response.status?.code == 403)
            #expect(unknown.response.status?.message.contains("cannot check cap prod-hard: the requests of statefulset shop/worker are unknown") == true)
        }
    }

    @Test("a namespace no binding names is allowed with a warning, or denied under unbound_namespaces: deny")
    func unboundNamespaces() async throws {
        try await Self.withWebhook { webhook in
            let answer = try await webhook.review(AdmissionFixtures.createReview(namespace: "default", replicas: 30))
            #expect(answer.response.allowed)
            #expect(answer.response.warnings == ["chartly-budget: not checked: namespace default is bound to no environment of tenant acme"])
            #expect(answer.decisionID == nil)
        }
        let denying = Self.configuration.replacingOccurrences(of: #""unbound_namespaces":"allow""#, with: #""unbound_namespaces":"deny""#)
        try await Self.withWebhook(configuration: denying) { webhook in
            let answer = try await webhook.review(AdmissionFixtures.createReview(namespace: "default", replicas: 1))
            #expect(!answer.response.allowed)
            #expect(answer.response.status?.code == 403)
            #expect(answer.response.status?.message.contains("namespace default is bound to no environment") == true)
        }
    }

    @Test("a binding changed through another replica counts at once, though each replica keeps the bindings it read")
    func bindingChangedElsewhere() async throws {
        try await Self.withWebhook(replicas: 2) { webhook in
            func environment(of answer: ReviewAnswer) async throws -> String? {
                guard let id = answer.decisionID.flatMap(UUID.init(uuidString:)) else { return nil }
                return try await webhook.server.inspect { store in try await store.decision(tenant: "acme", id: id).request.environment }
            }
            func apply(_ binding: String) async throws {
                // Not pruning: only the binding changes (the rate card, cap and policy stay, and renew nothing).
                let document = #"{"prune":false,"documents":[{"kind":"KubernetesBinding","metadata":{"tenant":"acme","name":"cluster-a"},"spec":\#(binding)}]}"#
                let applied = try await webhook.client.post(webhook.servers[1].baseURL + "/v1/apply", document, token: TestApp.adminToken)
                guard applied.status == 200 else { throw TestFailure("apply: \(applied.status) \(applied.body)") }
            }
            // Replica 0 reads and keeps the bindings: shop is prod.
            let first = try await webhook.review(AdmissionFixtures.createReview(replicas: 1))
            #expect(first.response.allowed)
            #expect(try await environment(of: first) == "prod")

            // Through replica 1, shop becomes staging: replica 0's next review decides in staging (which has no
            // scaling policy: denied, but a decision of staging).
            try await apply(#"{"namespaces":{"shop":"staging"},"service_label":"app.kubernetes.io/name","unbound_namespaces":"allow"}"#)
            let moved = try await webhook.review(AdmissionFixtures.createReview(replicas: 2))
            #expect(moved.response.status?.message.contains("staging/worker has no scaling policy") == true)
            #expect(try await environment(of: moved) == "staging")
            // And the one after it too (the bindings read anew are kept).
            let again = try await webhook.review(AdmissionFixtures.createReview(replicas: 3))
            #expect(try await environment(of: again) == "staging")

            // Through replica 1, shop is bound no more, and unbound namespaces are denied: replica 0 denies.
            try await apply(#"{"namespaces":{"shop-staging":"staging"},"unbound_namespaces":"deny"}"#)
            let unbound = try await webhook.review(AdmissionFixtures.createReview(replicas: 4))
            #expect(!unbound.response.allowed)
            #expect(unbound.response.status?.message.contains("namespace shop is bound to no environment") == true)
            #expect(unbound.decisionID == nil)
        }
    }

    @Test("two replicas of the service, many concurrent reviews through the webhook: no overshoot of the cap")
    func concurrentReplicas() async throws {
        try await Self.withWebhook(replicas: 2) { webhook in
            // 30 Deployments of the service worker (by label), one replica each, half through each replica.
            let answers = try await withThrowingTaskGroup(of: ReviewAnswer.self) { group in
                for index in 0..<30 {
                    group.addTask {
                        try await webhook.review(
                            AdmissionFixtures.createReview(name: "worker-\(index)", replicas: 1, label: "worker"), on: webhook.servers[index % 2]
                        )
                    }
                }
                var answers: [ReviewAnswer] = []
                for try await answer in group { answers.append(answer) }
                return answers
            }
            let allowed = answers.filter(\.response.allowed)
            #expect(allowed.count == 10)
            #expect(answers.filter { !$0.response.allowed }.allSatisfy { $0.response.status?.code == 403 })
            let live = try await webhook.reservations()
            #expect(live.count == 10)
            #expect(live.ratePerHour <= Money(decimalString: "1.20")!)
        }
    }

    @Test("the decide token as a bearer and in the path; other tokens and scopes refused")
    func tokens() async throws {
        try await Self.withWebhook { webhook in
            let review = AdmissionFixtures.createReview(replicas: 1)
            #expect(try await webhook.client.post(webhook.url, review, token: webhook.token).status == 200)
            let inPath = try await webhook.client.post(webhook.url + "/" + webhook.token, AdmissionFixtures.createReview(replicas: 1), token: nil)
            #expect(inPath.status == 200)
            #expect(inPath.body.contains(#""allowed":true"#))
            #expect(try await webhook.client.post(webhook.url + "/not-a-token", review, token: nil).status == 401)
            #expect(try await webhook.client.post(webhook.url, review, token: nil).status == 401)
            let reader = try await webhook.client.post(webhook.server.baseURL + "/v1/tokens", #"{"name":"r","scopes":["acme:read"]}"#, token: TestApp.adminToken)
            let readToken = try JSONDecoder().decode(CreatedToken.self, from: Data(reader.body.utf8)).token
            #expect(try await webhook.client.post(webhook.url + "/" + readToken, review, token: nil).status == 403)
        }
    }

    @Test("bad reviews get 400 with a message naming the field; kinds it does not handle are allowed with a warning")
    func badInput() async throws {
        try await Self.withWebhook { webhook in
            func post(_ body: String) async throws -> (Int, ErrorBody?) {
                let (status, text) = try await webhook.client.post(webhook.url, body, token: webhook.token)
                return (status, try? JSONDecoder().decode(ErrorBody.self, from: Data(text.utf8)))
            }
            let malformed = try await post(#"{"kind":"AdmissionReview","#)
            #expect(malformed.0 == 400)
            #expect(malformed.1?.error.code == "malformed_json")
            let noRequest = try await post(#"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1"}"#)
            #expect(noRequest.0 == 400)
            #expect(noRequest.1?.error.field == "request")
            let noKind = try await post(#"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"x","operation":"CREATE"}}"#)
            #expect(noKind.0 == 400)
            #expect(noKind.1?.error.field == "request.kind")
            let badQuantity = try await post(AdmissionFixtures.createReview(replicas: 1).replacingOccurrences(of: #""cpu":"1""#, with: #""cpu":"1.5.2""#))
            #expect(badQuantity.0 == 400)
            #expect(badQuantity.1?.error.field == "request.object.spec.template.spec.containers[0].resources.requests.cpu")
            let noObject = try await post(AdmissionFixtures.review(operation: "CREATE", object: "null", oldObject: nil))
            #expect(noObject.0 == 400)
            #expect(noObject.1?.error.field == "request.object")
            let tooLarge = try await post(#"{"kind":"AdmissionReview","padding":""# + String(repeating: "x", count: 4 << 20) + #""}"#)
            #expect(tooLarge.0 == 413)

            let pod = AdmissionFixtures.review(kind: "Pod", resource: "pods", operation: "CREATE", object: #"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"}}"#, oldObject: nil)
                .replacingOccurrences(of: #"{"group":"apps","version":"v1","resource":"pods"}"#, with: #"{"group":"","version":"v1","resource":"pods"}"#)
            let (status, text) = try await webhook.client.post(webhook.url, pod, token: webhook.token)
            #expect(status == 200)
            let answer = try JSONDecoder().decode(ReviewAnswer.self, from: Data(text.utf8))
            #expect(answer.response.allowed)
            #expect(answer.response.warnings?.first?.hasPrefix("chartly-budget: not checked: v1/pods") == true)
        }
    }

    @Test("a renewed certificate is served to new connections without a restart")
    func certificateRotation() async throws {
        let url = try await TestDatabase.make()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let first = try TestCertificateAuthority(name: "first CA")
        let second = try TestCertificateAuthority(name: "second CA")
        let (certificate, key) = try first.serverCertificate()
        let certificatePath = try directory.write("tls.crt", certificate)
        let keyPath = try directory.write("tls.key", key)
        let trustsFirst = try TrustingClient(caPEM: try first.pem)
        let trustsSecond = try TrustingClient(caPEM: try second.pem)
        try await TLSTestServer.run(databases: [url], certificate: certificatePath, key: keyPath) { servers in
            let health = servers[0].baseURL + "/health"
            #expect(try await trustsFirst.get(health, token: nil).status == 200)
            await #expect(throws: (any Error).self) { _ = try await trustsSecond.get(health, token: nil) }
            let (renewed, renewedKey) = try second.serverCertificate()
            try directory.write("tls.key", renewedKey)
            try directory.write("tls.crt", renewed)
            #expect(try await trustsSecond.get(health, token: nil).status == 200)
        }
        await trustsFirst.shutdown()
        await trustsSecond.shutdown()
    }
}
