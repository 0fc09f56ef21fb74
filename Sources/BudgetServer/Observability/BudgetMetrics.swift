import BudgetCore
import CoreMetrics
import Foundation
import Prometheus

/// The service's metrics, through swift-metrics with a Prometheus registry, named as the scaling contract
/// requires: `cost_estimate`, `replica_count`, `scale_events_total`, `queue_depth`, `backlog_duration_seconds`,
/// plus decisions, ingest, budgets and HTTP. Labels are bounded: tenant, environment, service, outcome, reason
/// code, route template — never ids or free text.
public final class BudgetMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: DescribedMetricsFactory

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        self.factory = DescribedMetricsFactory(
            registry: registry,
            durationBuckets: [
                .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
            ],
            valueBuckets: [0.001, 0.01, 0.1, 1, 10, 100, 1000]
        )
    }

    /// The text exposition format for `/metrics`.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }

    /// Approximate incremental cost per hour (currency units): per service, and per environment with `scope="environment"`.
    public func setCostEstimate(tenant: String, environment: String, service: String?, perHour: Money) {
        let value = Double(perHour.nanos) / 1e9
        Gauge(
            label: "cost_estimate",
            dimensions: [("tenant", tenant), ("environment", environment), ("service", service ?? ""), ("scope", service == nil ? "environment" : "service")],
            factory: factory
        ).record(value)
    }

    /// The replicas the latest approved decision left a service at.
    public func setReplicaCount(tenant: String, environment: String, service: String, replicas: Int) {
        Gauge(label: "replica_count", dimensions: [("tenant", tenant), ("environment", environment), ("service", service)], factory: factory)
            .record(Double(replicas))
    }

    /// One decision: `scale_events_total` by outcome and direction, `decisions_total` by outcome and each reason code.
    public func recordDecision(tenant: String, environment: String, direction: String, outcome: String, reasonCodes: [String]) {
        Counter(
            label: "scale_events_total",
            dimensions: [("tenant", tenant), ("environment", environment), ("direction", direction), ("outcome", outcome)],
            factory: factory
        ).increment()
        for reason in reasonCodes.isEmpty ? ["none"] : reasonCodes {
            Counter(label: "decisions_total", dimensions: [("outcome", outcome), ("reason", reason)], factory: factory).increment()
        }
    }

    /// A new decision, by the transaction it was written in: its own, one shared with other decisions of the
    /// tenant, or its own after a shared one failed.
    public func recordDecisionTransaction(tenant: String, transaction: String) {
        Counter(label: "decisions_by_transaction_total", dimensions: [("tenant", tenant), ("transaction", transaction)], factory: factory).increment()
    }

    /// An ingest request refused because its tenant is over its ingest rate (its samples were not read).
    public func recordIngestThrottled(tenant: String) {
        Counter(label: "ingest_requests_throttled_total", dimensions: [("tenant", tenant)], factory: factory).increment()
    }

    public func recordIngest(tenant: String, accepted: Int, duplicates: Int) {
        Counter(label: "samples_ingested_total", dimensions: [("tenant", tenant), ("result", "accepted")], factory: factory).increment(by: accepted)
        Counter(label: "samples_ingested_total", dimensions: [("tenant", tenant), ("result", "duplicate")], factory: factory).increment(by: duplicates)
    }

    /// A Prometheus remote write: samples counted once, re-sent (already counted), and dropped by reason
    /// (`no_rule`, `unmapped_environment`, `missing_label`, `invalid_name`, `invalid_value`, `histogram`, `retention`).
    public func recordPrometheusWrite(tenant: String, samples: Int, resent: Int, dropped: [String: Int]) {
        Counter(label: "prometheus_samples_received_total", dimensions: [("tenant", tenant)], factory: factory).increment(by: samples)
        Counter(label: "prometheus_samples_resent_total", dimensions: [("tenant", tenant)], factory: factory).increment(by: resent)
        for (reason, count) in dropped.sorted(by: { $0.key < $1.key }) {
            Counter(label: "prometheus_samples_dropped_total", dimensions: [("tenant", tenant), ("reason", reason)], factory: factory).increment(by: count)
        }
    }

    /// Work waiting: `queue="alert_outbox"` (deliveries pending) or `queue="ingest_in_flight"`.
    public func setQueueDepth(_ queue: String, _ depth: Int) {
        Gauge(label: "queue_depth", dimensions: [("queue", queue)], factory: factory).record(Double(depth))
    }

    /// Age of the oldest undelivered item of a queue.
    public func setBacklogDuration(_ queue: String, seconds: Double) {
        Gauge(label: "backlog_duration_seconds", dimensions: [("queue", queue)], factory: factory).record(seconds)
    }

    /// Spend so far ÷ amount, per budget.
    public func setBudgetSpendRatio(tenant: String, budget: String, ratio: Double) {
        Gauge(label: "budget_spend_ratio", dimensions: [("tenant", tenant), ("budget", budget)], factory: factory).record(ratio)
    }

    public func recordHTTP(method: String, route: String, status: Int, seconds: Double) {
        Counter(label: "http_requests_total", dimensions: [("method", method), ("route", route), ("status", String(status))], factory: factory)
            .increment()
        Timer(label: "http_request_duration_seconds", dimensions: [("method", method), ("route", route)], factory: factory)
            .recordNanoseconds(Int64(seconds * 1e9))
    }
}
