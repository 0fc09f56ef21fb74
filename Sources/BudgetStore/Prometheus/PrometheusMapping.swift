import BudgetCore
import Foundation

/// A `PrometheusMapping` document: which Prometheus series are which usage of which environment and service.
///
/// ```yaml
/// spec:
///   environment: { label: namespace, map: { shop: prod } }   # a namespace not in the map is dropped
///   service: { label: container }                            # optional map renames; regex takes a capture group
///   series:
///     - { metric: kube_pod_container_resource_requests, match: { resource: cpu }, resource: cpu_cores }
///     - { metric: container_network_transmit_bytes_total, resource: egress_gib, counter: true, scale: 0.000000000931322574615478515625 }
/// ```
public struct PrometheusMapping: Sendable, Codable, Equatable {
    public var name: String
    public var environment: LabelSource
    public var service: LabelSource
    /// How long a series' last sample holds when its spacing is not known yet (one sample so far): `60s`.
    public var scrapeInterval: String?
    public var series: [SeriesRule]
    public var version: Int

    /// Where a usage name comes from: a label's value, renamed by `map`, or the first capture group of `regex`.
    public struct LabelSource: Sendable, Codable, Equatable {
        public var label: String
        public var map: [String: String]?
        /// Matched against the whole value; the first capture group (or the whole match) is the name.
        public var regex: String?

        public init(label: String, map: [String: String]? = nil, regex: String? = nil) {
            self.label = label
            self.map = map
            self.regex = regex
        }
    }

    /// One metric (with label values to match) and the resource its samples are.
    public struct SeriesRule: Sendable, Codable, Equatable {
        public var metric: String
        public var match: [String: String]?
        public var resource: Resource
        /// An exact decimal the values are multiplied by (bytes → GiB: 0.000000000931322574615478515625).
        public var scale: String?
        /// A monotonic counter: its increase between samples is the usage (resets handled). For a gauge
        /// resource (`container_cpu_usage_seconds_total` → `cpu_cores`) the increase per second is the level.
        public var counter: Bool?
        /// This rule's own service source, instead of the mapping's.
        public var service: LabelSource?

        public init(metric: String, match: [String: String]? = nil, resource: Resource, scale: String? = nil, counter: Bool? = nil, service: LabelSource? = nil) {
            self.metric = metric
            self.match = match
            self.resource = resource
            self.scale = scale
            self.counter = counter
            self.service = service
        }
    }

    enum CodingKeys: String, CodingKey {
        case name, environment, service, series, version
        case scrapeInterval = "scrape_interval"
    }

    public init(name: String, environment: LabelSource, service: LabelSource, scrapeInterval: String? = nil, series: [SeriesRule], version: Int = 0) {
        self.name = name
        self.environment = environment
        self.service = service
        self.scrapeInterval = scrapeInterval
        self.series = series
        self.version = version
    }

    /// The default hold of a lone sample: Prometheus' default `scrape_interval`.
    public static let defaultScrapeIntervalMilliseconds: Int64 = 60_000
    /// Prometheus' staleness: a sample holds at most this long.
    public static let stalenessMilliseconds: Int64 = 300_000

    /// The hold of a lone sample, in milliseconds.
    public var scrapeIntervalMilliseconds: Int64 {
        scrapeInterval.flatMap(Self.milliseconds(of:)) ?? Self.defaultScrapeIntervalMilliseconds
    }

    /// A Prometheus duration of one unit (`15s`, `1m`, `500ms`) in milliseconds.
    static func milliseconds(of text: String) -> Int64? {
        for (suffix, factor) in [("ms", Int64(1)), ("s", 1_000), ("m", 60_000)] where text.hasSuffix(suffix) {
            guard let number = Int64(text.dropLast(suffix.count)), number > 0, number <= 3_600_000 / factor else { return nil }
            return number * factor
        }
        return nil
    }

    /// What is wrong with the mapping, naming the field (`series[2].scale`), or nil.
    public var problem: (field: String, message: String)? {
        guard PartitionKey.isValid(name) else { return ("name", "name must match \(PartitionKey.pattern)") }
        if let problem = environment.problem(field: "environment") { return problem }
        if let problem = service.problem(field: "service") { return problem }
        if let scrapeInterval {
            guard let milliseconds = Self.milliseconds(of: scrapeInterval), milliseconds <= Self.stalenessMilliseconds else {
                return ("scrape_interval", "scrape_interval must be a duration such as 15s, 1m or 500ms, at most 5m")
            }
        }
        guard !series.isEmpty else { return ("series", "a mapping needs at least one series rule") }
        for (index, rule) in series.enumerated() {
            let field = "series[\(index)]"
            guard RemoteWriteNames.isValidMetricName(rule.metric) else { return ("\(field).metric", "metric must be a Prometheus metric name") }
            for name in (rule.match ?? [:]).keys.sorted() where !RemoteWriteNames.isValidLabelName(name) {
                return ("\(field).match.\(name)", "'\(name)' is not a Prometheus label name")
            }
            if let scale = rule.scale {
                guard let value = Self.scale(of: scale) else { return ("\(field).scale", "scale must be a positive decimal such as 0.000000000931322574615478515625") }
                guard value > 0, value.isFinite else { return ("\(field).scale", "scale must be positive") }
            }
            if rule.counter != true, rule.resource.kind == .counter {
                return ("\(field).counter", "\(rule.resource.rawValue) is an amount: its series must be a counter (counter: true)")
            }
            if let problem = rule.service?.problem(field: "\(field).service") { return problem }
        }
        return nil
    }

    /// A scale written as an exact decimal (`0.000000000931322574615478515625`, `1e-9`), as the float it multiplies.
    static func scale(of text: String) -> Double? {
        guard text.range(of: #"^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"#, options: .regularExpression) != nil else { return nil }
        return Double(text)
    }
}

extension PrometheusMapping.LabelSource {
    func problem(field: String) -> (field: String, message: String)? {
        guard RemoteWriteNames.isValidLabelName(label) else { return ("\(field).label", "'\(label)' is not a Prometheus label name") }
        for (key, value) in (map ?? [:]).sorted(by: { $0.key < $1.key }) where !PartitionKey.isValid(value) {
            return ("\(field).map.\(key)", "'\(value)' must match \(PartitionKey.pattern)")
        }
        if let regex {
            guard (try? NSRegularExpression(pattern: regex)) != nil else { return ("\(field).regex", "regex does not compile") }
        }
        return nil
    }
}

/// Prometheus' naming rules.
enum RemoteWriteNames {
    /// `[a-zA-Z_][a-zA-Z0-9_]*`
    static func isValidLabelName(_ name: String) -> Bool { matches(name, colon: false) }
    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`
    static func isValidMetricName(_ name: String) -> Bool { matches(name, colon: true) }

    private static func matches(_ name: String, colon: Bool) -> Bool {
        func allowed(_ byte: UInt8, first: Bool) -> Bool {
            let letter = (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7a
            return letter || byte == UInt8(ascii: "_") || (colon && byte == UInt8(ascii: ":")) || (!first && byte >= 0x30 && byte <= 0x39)
        }
        guard let first = name.utf8.first, allowed(first, first: true) else { return false }
        return name.utf8.dropFirst().allSatisfy { allowed($0, first: false) }
    }
}
