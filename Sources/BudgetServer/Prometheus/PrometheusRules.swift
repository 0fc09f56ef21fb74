import BudgetCore
import BudgetStore
import Crypto
import Foundation
import PrometheusWire

/// A tenant's `PrometheusMapping` documents, ready to apply to remote-write series: which series are which
/// usage, and why the others are dropped.
struct PrometheusRules {
    struct Source {
        var label: String
        var map: [String: String]?
        var regex: NSRegularExpression?
        /// Values not in `map` are dropped (environments); otherwise they are used as they are.
        var strict: Bool

        init(_ source: PrometheusMapping.LabelSource, strict: Bool) {
            label = source.label
            map = source.map
            regex = source.regex.flatMap { try? NSRegularExpression(pattern: "^(?:\($0))$") }
            self.strict = strict && source.map != nil
        }

        /// The name, or the reason the series is dropped.
        func resolve(_ labels: [String: String]) -> Result<String, Drop> {
            guard let raw = labels[label], !raw.isEmpty else { return .failure(.missingLabel) }
            var value = raw
            if let regex {
                let range = NSRange(value.startIndex..., in: value)
                guard let match = regex.firstMatch(in: value, range: range) else { return .failure(.noRule) }
                let group = match.numberOfRanges > 1 && match.range(at: 1).location != NSNotFound ? match.range(at: 1) : match.range
                value = String(value[Range(group, in: value)!])
            }
            if let mapped = map?[value] {
                value = mapped
            } else if strict {
                return .failure(.unmappedEnvironment)
            }
            guard PartitionKey.isValid(value) else { return .failure(.invalidName) }
            return .success(value)
        }
    }

    struct Rule {
        var name: String
        var match: [(String, String)]
        var resource: Resource
        var reading: PrometheusSeriesState.Reading
        var environment: Source
        var service: Source
    }

    /// Why a series' samples are not usage.
    enum Drop: String, Error {
        case noRule = "no_rule"
        case unmappedEnvironment = "unmapped_environment"
        case missingLabel = "missing_label"
        case invalidName = "invalid_name"
        case invalidValue = "invalid_value"
        case histogram
    }

    let byMetric: [String: [Rule]]

    init(mappings: [PrometheusMapping]) {
        var byMetric: [String: [Rule]] = [:]
        for mapping in mappings.sorted(by: { $0.name < $1.name }) {
            let environment = Source(mapping.environment, strict: true)
            let service = Source(mapping.service, strict: false)
            for (index, rule) in mapping.series.enumerated() {
                let scale = rule.scale.flatMap(Double.init) ?? 1
                byMetric[rule.metric, default: []].append(
                    Rule(
                        name: "\(mapping.name)/\(index)", match: (rule.match ?? [:]).sorted { $0.key < $1.key }, resource: rule.resource,
                        reading: .init(
                            counter: rule.counter ?? false, gaugeResource: rule.resource.kind == .gauge, scale: scale,
                            loneHoldMilliseconds: mapping.scrapeIntervalMilliseconds
                        ),
                        environment: environment, service: rule.service.map { Source($0, strict: false) } ?? service
                    )
                )
            }
        }
        self.byMetric = byMetric
    }

    var isEmpty: Bool { byMetric.isEmpty }

    /// The series as usage (merged by identity, samples sorted, one per timestamp) and the drops by metric and reason.
    func map(_ series: [RemoteWrite.Series]) -> (mapped: [PrometheusSeriesSamples], dropped: [PrometheusDropKey: Int]) {
        var dropped: [PrometheusDropKey: Int] = [:]
        var byID: [String: Int] = [:]
        var mapped: [PrometheusSeriesSamples] = []
        mapped.reserveCapacity(series.count)
        for entry in series {
            let metric = entry.metric
            if entry.histograms > 0 { dropped[PrometheusDropKey(metric: metric, reason: Drop.histogram.rawValue), default: 0] += entry.histograms }
            guard !entry.samples.isEmpty else { continue }
            switch resolve(entry) {
            case .failure(let drop):
                dropped[PrometheusDropKey(metric: metric, reason: drop.rawValue), default: 0] += entry.samples.count
            case .success(let (rule, environment, service)):
                var samples: [(timestamp: Int64, value: Double)] = []
                samples.reserveCapacity(entry.samples.count)
                var invalid = 0
                for sample in entry.samples {
                    if RemoteWrite.isStaleMarker(sample.value) || (sample.value.isFinite && sample.value >= 0) {
                        samples.append(sample)
                    } else {
                        invalid += 1
                    }
                }
                if invalid > 0 { dropped[PrometheusDropKey(metric: metric, reason: Drop.invalidValue.rawValue), default: 0] += invalid }
                guard !samples.isEmpty else { continue }
                let id = Self.identity(entry.labels)
                if let index = byID[id] {
                    mapped[index].samples += samples
                } else {
                    byID[id] = mapped.count
                    mapped.append(
                        PrometheusSeriesSamples(
                            id: id, metric: metric, labels: Self.text(entry.labels), rule: rule.name, environment: environment, service: service,
                            resource: rule.resource, reading: rule.reading, samples: samples
                        )
                    )
                }
            }
        }
        for index in mapped.indices {
            // Sorted by time; of two samples with one timestamp the first sent is kept.
            var seen: Set<Int64> = []
            mapped[index].samples = mapped[index].samples.enumerated()
                .sorted { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }
                .map(\.element)
                .filter { seen.insert($0.timestamp).inserted }
        }
        return (mapped, dropped)
    }

    private func resolve(_ entry: RemoteWrite.Series) -> Result<(Rule, String, String), Drop> {
        guard let rules = byMetric[entry.metric] else { return .failure(.noRule) }
        guard let rule = rules.first(where: { rule in rule.match.allSatisfy { entry.labels[$0.0] == $0.1 } }) else { return .failure(.noRule) }
        let environment: String
        switch rule.environment.resolve(entry.labels) {
        case .success(let value): environment = value
        case .failure(let drop): return .failure(drop)
        }
        switch rule.service.resolve(entry.labels) {
        case .success(let service): return .success((rule, environment, service))
        case .failure(let drop): return .failure(drop)
        }
    }

    /// A series' identity: SHA-256 of its sorted labels, the first 16 bytes in hex.
    static func identity(_ labels: [String: String]) -> String {
        var hasher = SHA256()
        for (name, value) in labels.sorted(by: { $0.key < $1.key }) {
            hasher.update(data: Array(name.utf8) + [0] + Array(value.utf8) + [0xff])
        }
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(32)
        for byte in hasher.finalize().prefix(16) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// `metric{a="x", b="y"}`, as Prometheus shows a series.
    static func text(_ labels: [String: String]) -> String {
        let rest = labels.filter { $0.key != "__name__" }.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }
        return "\(labels["__name__"] ?? "")" + (rest.isEmpty ? "" : "{\(rest.joined(separator: ", "))}")
    }
}
