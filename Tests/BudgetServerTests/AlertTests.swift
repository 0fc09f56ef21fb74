import BudgetCore
import BudgetServer
import BudgetStore
import BudgetTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing

/// A webhook receiver on a real socket that can be told to fail.
final class Receiver: Sendable {
    struct Received: Sendable {
        var body: Data
        var signature: String?
        var idempotencyKey: String?
    }

    enum Behaviour: Sendable {
        case accept
        case fail(HTTPResponse.Status)
        case stall(Duration)
    }

    let port: Int
    private let script = Mutex<[Behaviour]>([])
    private let received = Mutex<[Received]>([])
    private let task = Mutex<Task<Void, any Error>?>(nil)

    init(port: Int? = nil) throws {
        self.port = try port ?? freePort()
    }

    var url: String { "http://127.0.0.1:\(port)/hook" }
    var baseURL: String { "http://127.0.0.1:\(port)" }
    var deliveries: [Received] { received.withLock { $0 } }

    /// The next responses, in order; afterwards every request is accepted.
    func script(_ behaviours: [Behaviour]) { script.withLock { $0 = behaviours } }

    func start() async throws {
        let router = Router()
        router.post("/hook") { [self] request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let behaviour = script.withLock { $0.isEmpty ? Behaviour.accept : $0.removeFirst() }
            switch behaviour {
            case .accept:
                received.withLock {
                    $0.append(Received(body: Data(buffer: body), signature: request.headers[HTTPField.Name("X-Chartly-Signature")!],
                                       idempotencyKey: request.headers[HTTPField.Name("Idempotency-Key")!]))
                }
                return Response(status: .ok)
            case .fail(let status):
                return Response(status: status)
            case .stall(let duration):
                try await Task.sleep(for: duration)
                return Response(status: .ok)
            }
        }
        var logger = Logger(label: "receiver")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        task.withLock { $0 = Task { try await app.run() } }
        for _ in 0..<100 {
            if (try? await HTTP.send("\(baseURL)/ping", method: .GET, headers: [:], body: nil)) != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    func stop() { task.withLock { $0?.cancel() } }
}

// Ten minutes: on Citus a test first waits for its own database, set up and distributed after the others'.
@Suite("Alerts: raising, grouping, lifecycle, delivery", .timeLimit(.minutes(10)))
struct AlertTests {
    static let secret = "whsec-0123456789abcdef"

    static func prepared(_ client: some TestClientProtocol, routeURL: String, format: String = "chartly") async throws {
        try await DecisionAPITests.prepared(client)
        let route = try await client.send(
            .put, "/v1/tenants/acme/alert-routes/hook", body: #"{"url":"\#(routeURL)","format":"\#(format)","secret":"\#(secret)"}"#
        )
        #expect(route.status == .created)
    }

    @Test("the signature covers timestamp and body; a tampered body or another secret fails")
    func signature() {
        let body = Data(#"{"event":"firing"}"#.utf8)
        let header = WebhookSignature.header(secret: Self.secret, timestamp: 1_790_000_000, body: body)
        #expect(header.hasPrefix("t=1790000000,v1="))
        #expect(WebhookSignature.verify(header: header, secret: Self.secret, body: body))
        #expect(!WebhookSignature.verify(header: header, secret: Self.secret, body: Data(#"{"event":"resolved"}"#.utf8)))
        #expect(!WebhookSignature.verify(header: header, secret: "another-secret-0123456", body: body))
        #expect(!WebhookSignature.verify(header: header.replacingOccurrences(of: "t=1790000000", with: "t=1790000001"), secret: Self.secret, body: body))
    }

    @Test("an autoscaler retrying a vetoed scale-up raises one alert, counted, delivered once, signed", arguments: TestEngine.available)
    func groupedVetoes(engine: TestEngine) async throws {
        let receiver = try Receiver()
        try await receiver.start()
        defer { receiver.stop() }
        try await TestApp.fresh(engine: engine).test { client, store in
            try await Self.prepared(client, routeURL: receiver.url)
            // Fill the headroom, then retry a denied scale-up ten times.
            // (The policy allows +8 per step: two steps use all 10 replicas of headroom.)
            _ = try await client.send(.post, "/v1/tenants/acme/decisions", body: DecisionAPITests.decision("fill-a", to: 10))
            _ = try await client.send(.post, "/v1/tenants/acme/decisions", body: DecisionAPITests.decision("fill-b", from: 10, to: 12))
            for attempt in 0..<10 {
                let denied = try await client.send(.post, "/v1/tenants/acme/decisions", body: DecisionAPITests.decision("retry-\(attempt)", from: 12, to: 14))
                #expect(denied.text.contains(#""outcome":"deny""#))
            }
            let alerts = try await client.send(.get, "/v1/tenants/acme/alerts?state=firing")
            struct Listed: Decodable { struct Alert: Decodable { var kind: String; var occurrences: Int; var summary: String; var id: String }; var alerts: [Alert] }
            let listed = try alerts.decode(Listed.self)
            #expect(listed.alerts.count == 1)
            #expect(listed.alerts.first?.kind == "cap_veto")
            #expect(listed.alerts.first?.occurrences == 10)
            #expect(listed.alerts.first?.summary.contains("exceeded cap prod-cap") == true)

            let delivery = AlertDeliveryService(store: store, logger: TestDatabase.testLogger)
            #expect(try await delivery.deliverOnce() == 1)
            #expect(try await delivery.deliverOnce() == 0)
            let received = try #require(receiver.deliveries.first)
            #expect(receiver.deliveries.count == 1)
            #expect(WebhookSignature.verify(header: try #require(received.signature), secret: Self.secret, body: received.body))
            #expect(received.idempotencyKey?.isEmpty == false)
            #expect(String(decoding: received.body, as: UTF8.self).contains(#""event":"firing""#))

            // Acknowledged: no reminders. Quiet for 15 minutes: resolved, and the resolution is delivered.
            let id = try #require(listed.alerts.first?.id)
            #expect(try await client.send(.post, "/v1/tenants/acme/alerts/\(id)/ack").status == .ok)
            #expect(try await store.sendReminders(now: Timestamp.now() + .hours(5), interval: .hours(4)) == 0)
            #expect(try await store.resolveQuietCapAlerts(now: Timestamp.now() + .minutes(16), quiet: .minutes(15)) == 1)
            _ = try await delivery.deliverOnce(now: Timestamp.now() + .minutes(17))
            try #require(receiver.deliveries.count == 2)
            #expect(String(decoding: receiver.deliveries[1].body, as: UTF8.self).contains(#""event":"resolved""#))
            #expect(try await client.send(.get, "/v1/tenants/acme/alerts?state=resolved").text.contains("cap_veto"))
            #expect(try await client.send(.post, "/v1/tenants/acme/alerts/\(id)/ack").status == .notFound)
        }
    }

    @Test("a firing alert not acknowledged is sent again after the reminder interval", arguments: TestEngine.available)
    func reminders(engine: TestEngine) async throws {
        try await TestApp.fresh(engine: engine).test { client, store in
            try await Self.prepared(client, routeURL: "http://127.0.0.1:9/hook")
            let alert = try await store.raiseAlert(
                tenant: "acme",
                AlertDraft(dedupKey: "test:1", kind: .anomaly, severity: .warning, environment: "prod", service: nil, summary: "test", details: "{}"),
                now: Timestamp.now()
            )
            #expect(alert.isNew)
            #expect(try await store.sendReminders(now: Timestamp.now() + .hours(1), interval: .hours(4)) == 0)
            #expect(try await store.sendReminders(now: Timestamp.now() + .hours(5), interval: .hours(4)) == 1)
            #expect(try await store.deliveries(tenant: "acme", state: "pending").map(\.event).sorted() == ["firing", "reminder"])
        }
    }

    @Test("a receiver failing with 500s, stalls and refused connections gets every alert once it recovers; none twice across two senders", arguments: TestEngine.available)
    func failingReceiver(engine: TestEngine) async throws {
        let port = try freeStablePort()
        let receiver = try Receiver(port: port)
        try await TestApp.fresh(engine: engine).test { client, store in
            try await Self.prepared(client, routeURL: receiver.url)
            var now = Timestamp.now()
            for index in 0..<12 {
                _ = try await store.raiseAlert(
                    tenant: "acme",
                    AlertDraft(dedupKey: "burst:\(index)", kind: .anomaly, severity: .warning, environment: "prod", service: "svc-\(index)", summary: "burst \(index)", details: "{}"),
                    now: now
                )
            }
            var tuned = AlertDeliveryService.Settings()
            // Long enough that a loaded machine's ordinary answer is not taken for a stall (that would be sent again).
            tuned.requestTimeout = .seconds(2)
            tuned.batchSize = 5
            let settings = tuned
            let start = now
            // Two senders on two stores (two replicas) share the outbox.
            let otherStore = BudgetStore(url: store.url, maximumConnections: 4, acquireTimeout: TestDatabase.acquireTimeout, logger: TestDatabase.testLogger)
            try await otherStore.whileRunning {
                var now = start
                let first = AlertDeliveryService(store: store, settings: settings, logger: TestDatabase.testLogger)
                let second = AlertDeliveryService(store: otherStore, settings: settings, logger: TestDatabase.testLogger)
                // Nothing listens yet: connections are refused.
                for _ in 0..<3 {
                    let instant = now
                    async let a = first.deliverOnce(now: instant)
                    async let b = second.deliverOnce(now: instant)
                    _ = try await (a, b)
                    now = now + .minutes(1)
                }
                #expect(receiver.deliveries.isEmpty)
                try await receiver.start()
                receiver.script([.fail(.internalServerError), .fail(.badGateway), .stall(.seconds(4)), .fail(.serviceUnavailable)])
                for _ in 0..<30 {
                    let instant = now
                    async let a = first.deliverOnce(now: instant)
                    async let b = second.deliverOnce(now: instant)
                    _ = try await (a, b)
                    now = now + .minutes(11)
                    if try await store.deliveries(tenant: "acme", state: "pending").isEmpty { break }
                }
            }
            receiver.stop()
            let delivered = try await store.deliveries(tenant: "acme", state: "delivered")
            #expect(delivered.count == 12)
            #expect(try await store.deliveries(tenant: "acme", state: "dead").isEmpty)
            let keys = receiver.deliveries.compactMap(\.idempotencyKey)
            // The stalled request may have been processed after the sender gave up on it: the receiver deduplicates by key.
            #expect(Set(keys).count == 12)
            #expect(keys.count <= 13)
            #expect(delivered.contains { $0.attempts > 1 })
        }
    }

    @Test("a delivery that keeps failing past the maximum age is dead-lettered and listed", arguments: TestEngine.available)
    func deadLetter(engine: TestEngine) async throws {
        try await TestApp.fresh(engine: engine).test { client, store in
            try await Self.prepared(client, routeURL: "http://127.0.0.1:\(try freePort())/hook")
            let start = Timestamp.now()
            _ = try await store.raiseAlert(
                tenant: "acme",
                AlertDraft(dedupKey: "dead:1", kind: .anomaly, severity: .critical, environment: "prod", service: nil, summary: "x", details: "{}"),
                now: start
            )
            var settings = AlertDeliveryService.Settings()
            settings.maximumAge = .hours(1)
            let delivery = AlertDeliveryService(store: store, settings: settings, logger: TestDatabase.testLogger)
            _ = try await delivery.deliverOnce(now: start)
            #expect(try await store.deliveries(tenant: "acme", state: "pending").count == 1)
            _ = try await delivery.deliverOnce(now: start + .hours(2))
            let dead = try await client.send(.get, "/v1/tenants/acme/alert-deliveries?state=dead")
            #expect(dead.text.contains("gave up after 2 attempts"), "\(dead.text)")
        }
    }

    @Test("budget thresholds fire once per threshold per period, on actual spend and on the forecast", arguments: TestEngine.available)
    func budgetThresholds(engine: TestEngine) async throws {
        try await TestDatabase.withStore(engine: engine) { store in
            let actor = Principal(id: "t", name: "t", scopes: [.admin])
            _ = try await store.putRateCard(
                tenant: "acme", effectiveFrom: Timestamp(rfc3339: "2020-01-01T00:00:00Z")!, currency: Currency("USD")!,
                prices: [.cpuCores: Price(decimalString: "1.00")!], actor: actor
            )
            _ = try await store.putConfig(
                tenant: "acme",
                Budget(name: "prod-monthly", environment: "prod", amount: Money(decimalString: "100")!, actualThresholds: [50, 80, 100], forecastThresholds: [100]),
                actor: actor
            )
            let now = Timestamp(rfc3339: "2026-11-10T12:00:00Z")!
            // 55 core-hours on the 10th before noon: actual 55.00 (50 % crossed); run rate 0 → forecast 55.
            _ = try await store.ingest(tenant: "acme", samples: [
                UsageSample(environment: "prod", service: "api", resource: .cpuCores, quantity: 55, start: now - .hours(3), end: now - .hours(2)),
            ])
            #expect(try await store.evaluateBudgets(now: now) == 1)
            #expect(try await store.evaluateBudgets(now: now + .minutes(1)) == 0)
            // 30 more in the latest complete hour: actual 85 (80 % crossed) and a run rate of 30/h → forecast far over 100 %.
            _ = try await store.ingest(tenant: "acme", samples: [
                UsageSample(environment: "prod", service: "api", resource: .cpuCores, quantity: 30, start: now, end: now + .hours(1)),
            ])
            #expect(try await store.evaluateBudgets(now: now + .hours(1) + .minutes(5)) == 2)
            let alerts = try await store.alerts(AlertQuery(tenant: "acme"))
            #expect(Set(alerts.map(\.kind)) == [.budgetActual, .budgetForecast])
            #expect(alerts.contains { $0.summary == "budget prod-monthly: actual spend 55.00 USD reached 50% of 100.00 USD" })
            #expect(alerts.contains { $0.severity == .critical && $0.kind == .budgetForecast })
            // A new period resolves them.
            #expect(try await store.evaluateBudgets(now: Timestamp(rfc3339: "2026-12-01T00:30:00Z")!) == 0)
            #expect(try await store.alerts(AlertQuery(tenant: "acme", state: .firing)).isEmpty)
        }
    }

    @Test("alert list filters are validated")
    func badFilters() async throws {
        try await TestApp.fresh().test { client, _ in
            let open = try await client.send(.get, "/v1/tenants/acme/alerts?state=open")
            #expect(open.json?.error.field == "state")
            #expect(try await client.send(.get, "/v1/tenants/acme/alerts?kind=fire").json?.error.field == "kind")
            #expect(try await client.send(.get, "/v1/tenants/acme/alerts?since=soon").json?.error.field == "since")
            #expect(try await client.send(.get, "/v1/tenants/acme/alert-deliveries?state=lost").json?.error.field == "state")
        }
    }
}
