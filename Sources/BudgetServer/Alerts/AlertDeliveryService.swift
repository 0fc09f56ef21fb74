import AsyncHTTPClient
import BudgetCore
import BudgetStore
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import ServiceLifecycle

/// Sends queued alert deliveries: at least once, retried with exponential backoff and jitter up to a maximum
/// age, then dead-lettered. Several replicas share the outbox without sending the same delivery twice
/// (`FOR UPDATE SKIP LOCKED`).
public struct AlertDeliveryService: Service {
    public struct Settings: Sendable {
        public var pollInterval: Duration = .seconds(1)
        public var requestTimeout: TimeAmount = .seconds(10)
        public var firstRetry: TimeSpan = .seconds(2)
        public var maximumBackoff: TimeSpan = .minutes(10)
        /// Deliveries older than this are dead-lettered instead of retried.
        public var maximumAge: TimeSpan = .hours(24)
        public var batchSize = 20

        public init() {}
    }

    let store: BudgetStore
    let settings: Settings
    let logger: Logger
    var client: HTTPClient { Self.sharedClient }

    /// One client for the process (a service may be built and dropped, e.g. in tests; the client outlives it).
    /// It does not retry refused connections itself: the outbox's backoff does.
    static let sharedClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(5)
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public init(store: BudgetStore, settings: Settings = Settings(), logger: Logger) {
        self.store = store
        self.settings = settings
        self.logger = logger
    }

    public func run() async throws {
        await repeatUntilShutdown(every: settings.pollInterval, logger: logger, failure: "alert delivery round failed") {
            // Drain what is due, then wait for more.
            while try await deliverOnce() > 0, !Task.isCancelled {}
        }
    }

    /// One round: claim due deliveries, send them, record the outcomes. Returns how many were attempted.
    @discardableResult
    public func deliverOnce(now: Timestamp = Timestamp.now()) async throws -> Int {
        let client = self.client
        let settings = self.settings
        let logger = self.logger
        return try await store.deliverDue(now: now, limit: settings.batchSize) { deliveries in
            await withTaskGroup(of: (Int64, DeliveryOutcome).self) { group in
                for delivery in deliveries {
                    group.addTask { (delivery.id, await Self.send(delivery, client: client, settings: settings, now: now, logger: logger)) }
                }
                var outcomes: [Int64: DeliveryOutcome] = [:]
                for await (id, outcome) in group { outcomes[id] = outcome }
                return outcomes
            }
        }
    }

    static func send(_ delivery: PendingDelivery, client: HTTPClient, settings: Settings, now: Timestamp, logger: Logger) async -> DeliveryOutcome {
        guard let route = delivery.route else { return .dead(error: "the alert route was deleted") }
        let failure: String
        do {
            let body: Data
            var url = route.url
            switch route.format {
            case .chartly:
                body = try AlertPayloads.chartly(delivery, now: now)
            case .alertmanager:
                body = try AlertPayloads.alertmanager(delivery)
                url = (url.hasSuffix("/") ? String(url.dropLast()) : url) + "/api/v2/alerts"
            }
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "chartly-budget")
            request.headers.add(name: "Idempotency-Key", value: delivery.idempotencyKey)
            if let secret = route.secret {
                request.headers.add(name: "X-Chartly-Signature", value: WebhookSignature.header(secret: secret, timestamp: now.seconds, body: body))
            }
            request.body = .bytes(ByteBuffer(data: body))
            let response = try await client.execute(request, timeout: settings.requestTimeout)
            _ = try? await response.body.collect(upTo: 64 * 1024)
            if (200..<300).contains(response.status.code) { return .delivered }
            failure = "\(route.url) answered \(response.status.code)"
        } catch {
            failure = "\(route.url): \(error)"
        }
        if now - delivery.createdAt >= settings.maximumAge {
            return .dead(error: failure + " (gave up after \(delivery.attempts + 1) attempts)")
        }
        // Exponential backoff with full jitter in [½, 1] of the step.
        let exponent = min(delivery.attempts, 20)
        let step = min(settings.maximumBackoff.microseconds, settings.firstRetry.microseconds << exponent)
        let wait = step / 2 + Int64.random(in: 0...(step / 2))
        logger.debug("alert delivery failed", metadata: ["delivery": "\(delivery.id)", "error": "\(failure)", "retry_in_ms": "\(wait / 1000)"])
        return .retry(error: failure, at: now + .microseconds(wait))
    }
}
