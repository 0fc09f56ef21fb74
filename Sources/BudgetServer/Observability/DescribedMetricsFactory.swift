import CoreMetrics
import Prometheus

/// A swift-metrics factory over the Prometheus registry that gives every metric its `# HELP` text, so a scrape
/// passes `promtool check metrics` (the stock factory registers metrics without help).
struct DescribedMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry
    let durationBuckets: [Duration]
    let valueBuckets: [Double]

    static let help: [String: String] = [
        "cost_estimate": "Approximate incremental cost per hour (currency units) at the latest complete hour, per service and per environment (scope).",
        "replica_count": "Replicas the latest approved decision left the service at.",
        "scale_events_total": "Scaling decisions by direction and outcome.",
        "decisions_total": "Decisions by outcome and reason code (one increment per reason).",
        "decisions_by_transaction_total": "New decisions by the transaction they were written in: own, shared (with others of the tenant), or own_after_shared_failed.",
        "samples_ingested_total": "Usage samples received, accepted or duplicate.",
        "prometheus_samples_received_total": "Prometheus remote-write samples of mapped series received.",
        "prometheus_samples_resent_total": "Prometheus remote-write samples at or before their series' newest: re-sent, counted once.",
        "prometheus_samples_dropped_total": "Prometheus remote-write samples dropped, by reason (no_rule, unmapped_environment, ...).",
        "ingest_requests_throttled_total": "Ingest requests refused (429) because the tenant was over its ingest rate.",
        "queue_depth": "Work waiting: alert deliveries pending (alert_outbox) or ingest requests in flight (ingest_in_flight).",
        "backlog_duration_seconds": "Age of the oldest undelivered item of a queue.",
        "budget_spend_ratio": "Spend so far in the budget's period divided by its amount.",
        "http_requests_total": "HTTP requests by method, route template and status.",
        "http_request_duration_seconds": "HTTP request latency by method and route template.",
    ]

    func descriptor(_ label: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: Self.help[label] ?? label.replacingOccurrences(of: "_", with: " "))
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        aggregate
            ? registry.makeValueHistogram(descriptor: descriptor(label), labels: dimensions, buckets: valueBuckets)
            : registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(descriptor: descriptor(label), labels: dimensions, buckets: durationBuckets)
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
        if let histogram = handler as? ValueHistogram { registry.unregisterValueHistogram(histogram) }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
    }
}
