import Foundation
import SwiftProtobuf

/// Prometheus remote write 1.0 (https://prometheus.io/docs/specs/remote_write_spec/): a snappy-compressed
/// protobuf `WriteRequest`, decoded into series of labels and samples.
public enum RemoteWrite {
    /// The content type, encoding and version header a 1.0 sender sets.
    public static let contentType = "application/x-protobuf"
    public static let contentEncoding = "snappy"
    public static let versionHeader = "X-Prometheus-Remote-Write-Version"
    public static let version = "0.1.0"

    /// The bit pattern Prometheus writes as the value of a staleness marker: the series ended at that time.
    public static let staleNaNBits: UInt64 = 0x7ff0_0000_0000_0002

    public static func isStaleMarker(_ value: Double) -> Bool { value.bitPattern == staleNaNBits }

    /// A request that cannot be read, with what is wrong in words a sender's operator can act on.
    public struct Invalid: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }

        public init(_ message: String) { self.message = message }
    }

    /// One series of the request: its labels (`__name__` among them) and its samples in the order sent.
    public struct Series: Sendable, Equatable {
        public var labels: [String: String]
        public var samples: [(timestamp: Int64, value: Double)]
        /// Native histogram samples, not priced: only counted.
        public var histograms: Int

        public init(labels: [String: String], samples: [(timestamp: Int64, value: Double)], histograms: Int = 0) {
            self.labels = labels
            self.samples = samples
            self.histograms = histograms
        }

        public var metric: String { labels["__name__"] ?? "" }

        public static func == (a: Series, b: Series) -> Bool {
            a.labels == b.labels && a.histograms == b.histograms && a.samples.count == b.samples.count
                && zip(a.samples, b.samples).allSatisfy { $0.timestamp == $1.timestamp && $0.value.bitPattern == $1.value.bitPattern }
        }
    }

    /// Decompresses and decodes a request body, checking what the specification requires of it: every series
    /// has a `__name__`, label names are unique and valid.
    public static func decode(_ body: [UInt8], maximumUncompressedBytes: Int) throws(Invalid) -> [Series] {
        let bytes: [UInt8]
        do {
            bytes = try Snappy.decompress(body, limit: maximumUncompressedBytes)
        } catch {
            throw Invalid("\(error) (remote write 1.0 bodies are snappy block-format, Content-Encoding: snappy)")
        }
        let request: Prometheus_WriteRequest
        do {
            request = try Prometheus_WriteRequest(serializedBytes: bytes)
        } catch {
            throw Invalid("the body is not a protobuf prometheus.WriteRequest (\(error))")
        }
        var series: [Series] = []
        series.reserveCapacity(request.timeseries.count)
        for (index, timeSeries) in request.timeseries.enumerated() {
            var labels: [String: String] = [:]
            labels.reserveCapacity(timeSeries.labels.count)
            for label in timeSeries.labels {
                guard isValidLabelName(label.name) else {
                    throw Invalid("timeseries[\(index)]: label name '\(label.name.prefix(80))' is not a valid Prometheus label name")
                }
                guard labels.updateValue(label.value, forKey: label.name) == nil else {
                    throw Invalid("timeseries[\(index)]: label '\(label.name)' appears twice")
                }
            }
            guard let name = labels["__name__"], !name.isEmpty else {
                throw Invalid("timeseries[\(index)]: the series has no __name__ label")
            }
            series.append(Series(labels: labels, samples: timeSeries.samples.map { ($0.timestamp, $0.value) }, histograms: timeSeries.histograms.count))
        }
        return series
    }

    /// Encodes series as a sender would (protobuf, then snappy): for `import-prometheus`, the benchmark and tests.
    public static func encode(_ series: [Series]) -> [UInt8] {
        var request = Prometheus_WriteRequest()
        request.timeseries = series.map { entry in
            var timeSeries = Prometheus_TimeSeries()
            // The specification asks for labels sorted by name.
            timeSeries.labels = entry.labels.sorted { $0.key < $1.key }.map { name, value in
                var label = Prometheus_Label()
                label.name = name
                label.value = value
                return label
            }
            timeSeries.samples = entry.samples.map { sample in
                var wire = Prometheus_Sample()
                wire.timestamp = sample.timestamp
                wire.value = sample.value
                return wire
            }
            return timeSeries
        }
        let bytes: [UInt8] = (try? request.serializedBytes()) ?? []
        return Snappy.compress(bytes)
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`, the label names Prometheus accepts.
    static func isValidLabelName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || isLetter(first) else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    private static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7a }
}
