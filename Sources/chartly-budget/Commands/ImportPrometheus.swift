import ArgumentParser
import AsyncHTTPClient
import BudgetCore
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import PrometheusWire

struct ImportPrometheus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-prometheus",
        abstract: "Backfill usage from a Prometheus server's history (the HTTP API's query_range).",
        discussion: """
            Reads the series the tenant's PrometheusMapping documents take (the rules listed by
            GET /v1/tenants/{tenant}/prometheus/status) from Prometheus with query_range, one window at a time in
            time order, and sends them to the service's remote-write endpoint, where they are counted like live
            remote write: a gauge holds until its next sample (at most 5 minutes), a counter's increase is usage.
            Each series is counted once: a sample at or before the newest the service has of its series is skipped,
            so running it again adds nothing, an interrupted run can be started again, and history older than the
            live remote write of the same series is not added twice. Samples are query_range's, one per --step.
            """
    )

    @Option(help: "The Prometheus server's base URL (http://prometheus:9090).")
    var url: String

    @Option(help: "The tenant the usage belongs to.")
    var tenant: String

    @Option(help: "Start of the range (RFC 3339, e.g. 2026-11-01T00:00:00Z).")
    var from: String

    @Option(help: "End of the range (RFC 3339; default: now).")
    var to: String?

    @Option(help: "Resolution: one sample per series every step (e.g. 30s, 60s, 5m; at most 5m, Prometheus' staleness).")
    var step: String = "60s"

    @Option(help: "How much time one query_range asks for.")
    var window: String = "6h"

    @Option(help: "Samples per remote-write request (at most 10000).")
    var batchSize: Int = 2_000

    @OptionGroup var client: ClientOptions

    func validate() throws {
        guard PartitionKey.isValid(tenant) else { throw ValidationError("--tenant must match \(PartitionKey.pattern)") }
        guard Timestamp(rfc3339: from) != nil else { throw ValidationError("--from must be an RFC 3339 timestamp such as 2026-11-01T00:00:00Z") }
        if let to { guard Timestamp(rfc3339: to) != nil else { throw ValidationError("--to must be an RFC 3339 timestamp") } }
        guard let step = Self.seconds(step), step >= 1, step <= 300 else { throw ValidationError("--step must be a duration between 1s and 5m (e.g. 60s)") }
        guard let window = Self.seconds(window), window >= step else { throw ValidationError("--window must be a duration of at least --step (e.g. 6h)") }
        guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and 10000") }
    }

    /// `90s`, `5m`, `6h` in seconds.
    static func seconds(_ text: String) -> Int64? {
        for (suffix, factor) in [("s", Int64(1)), ("m", 60), ("h", 3_600), ("d", 86_400)] where text.hasSuffix(suffix) {
            guard let number = Int64(text.dropLast()), number > 0 else { return nil }
            return number * factor
        }
        return Int64(text)
    }

    struct Status: Decodable {
        struct Rule: Decodable {
            var metric: String
            var match: [String: String]
        }
        var rules: [Rule]
        var samples: Int64
        var resent: Int64
        var dropped: Int64
    }

    struct QueryRange: Decodable {
        struct Data: Decodable {
            struct Result: Decodable {
                var metric: [String: String]
                var values: [[Value]]
            }
            var resultType: String
            var result: [Result]
        }
        enum Value: Decodable {
            case number(Double)
            case text(String)

            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let number = try? container.decode(Double.self) { self = .number(number) } else { self = .text(try container.decode(String.self)) }
            }
        }
        var status: String
        var data: Data?
        var error: String?
    }

    func run() async throws {
        let api = APIClient(options: client)
        let before = try await api.call(.GET, "/v1/tenants/\(tenant)/prometheus/status", as: Status.self)
        var selectors: [String] = []
        for rule in before.rules {
            let matchers = rule.match.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(Self.escape($0.value))\"" }
            let selector = rule.metric + (matchers.isEmpty ? "" : "{\(matchers.joined(separator: ","))}")
            if !selectors.contains(selector) { selectors.append(selector) }
        }
        guard !selectors.isEmpty else {
            throw ClientFailure("tenant \(tenant) has no PrometheusMapping rules: apply a mapping first (Budgets/, kind PrometheusMapping)")
        }
        let start = Timestamp(rfc3339: from)!.seconds
        let end = (to.flatMap(Timestamp.init(rfc3339:)) ?? Timestamp.now()).seconds
        let step = Self.seconds(step)!
        let window = Self.seconds(window)!
        guard end > start else { throw ClientFailure("--to must be after --from") }
        let windows = Int((end - start + window - 1) / window)
        let progress = isatty(STDERR_FILENO) == 1
        var sent = 0
        var seriesSeen: Set<[String: String]> = []
        var cursor = start
        var done = 0
        while cursor < end {
            let last = min(cursor + window, end)
            var batch: [RemoteWrite.Series] = []
            var batchSamples = 0
            for selector in selectors {
                for series in try await queryRange(selector, start: cursor, end: last, step: step) {
                    seriesSeen.insert(series.labels)
                    // Split a long series into requests of at most --batch-size samples.
                    var offset = 0
                    while offset < series.samples.count {
                        let room = batchSize - batchSamples
                        let piece = Array(series.samples[offset..<min(offset + room, series.samples.count)])
                        batch.append(RemoteWrite.Series(labels: series.labels, samples: piece))
                        batchSamples += piece.count
                        offset += piece.count
                        if batchSamples >= batchSize {
                            try await write(batch)
                            sent += batchSamples
                            batch.removeAll(keepingCapacity: true)
                            batchSamples = 0
                        }
                    }
                }
            }
            if !batch.isEmpty {
                try await write(batch)
                sent += batchSamples
            }
            done += 1
            if progress {
                let width = 30
                let filled = Int(Double(done) / Double(windows) * Double(width))
                let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
                let text = "\r\(bar) \(done * 100 / windows)%  \(Timestamp(seconds: last).rfc3339)  \(sent) samples of \(seriesSeen.count) series"
                FileHandle.standardError.write(Data(text.utf8))
            }
            // query_range includes both ends: the next window starts one step later.
            cursor = last + step
        }
        if progress { FileHandle.standardError.write(Data("\n".utf8)) }
        let after = try await api.call(.GET, "/v1/tenants/\(tenant)/prometheus/status", as: Status.self)
        print(
            "imported \(sent) samples of \(seriesSeen.count) series from \(Timestamp(seconds: start).rfc3339) to \(Timestamp(seconds: end).rfc3339): "
                + "\(after.resent - before.resent) already counted (skipped), \(after.dropped - before.dropped) dropped by the mapping"
        )
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    private func queryRange(_ selector: String, start: Int64, end: Int64, step: Int64) async throws -> [RemoteWrite.Series] {
        var components = URLComponents(string: (url.hasSuffix("/") ? String(url.dropLast()) : url) + "/api/v1/query_range")!
        components.queryItems = [
            .init(name: "query", value: selector), .init(name: "start", value: String(start)), .init(name: "end", value: String(end)),
            .init(name: "step", value: String(step)),
        ]
        // `+` is a space in a query string: encode it.
        let address = components.url!.absoluteString.replacingOccurrences(of: "+", with: "%2B")
        var request = HTTPClientRequest(url: address)
        request.method = .GET
        let response: HTTPClientResponse
        do {
            response = try await APIClient.http.execute(request, timeout: .seconds(120))
        } catch {
            throw ClientFailure("cannot reach Prometheus at \(url): \(error)")
        }
        let body = try await response.body.collect(upTo: 512 << 20)
        let answer: QueryRange
        do {
            answer = try JSONDecoder().decode(QueryRange.self, from: Data(buffer: body))
        } catch {
            throw ClientFailure("Prometheus answered \(response.status.code) to query_range \(selector) with something that is not its JSON: \(String(buffer: body).prefix(200))")
        }
        guard answer.status == "success", let data = answer.data else {
            throw ClientFailure("Prometheus refused query_range \(selector): \(answer.error ?? "status \(response.status.code)")")
        }
        return data.result.map { result in
            let samples: [(timestamp: Int64, value: Double)] = result.values.compactMap { pair in
                guard pair.count == 2 else { return nil }
                let time: Double
                switch pair[0] {
                case .number(let number): time = number
                case .text(let text): time = Double(text) ?? .nan
                }
                guard case .text(let text) = pair[1], let value = Double(text), time.isFinite else { return nil }
                return (Int64((time * 1000).rounded()), value)
            }
            return RemoteWrite.Series(labels: result.metric, samples: samples)
        }
    }

    /// One remote-write request, retried with backoff while the service is unreachable or busy (429/503).
    private func write(_ series: [RemoteWrite.Series]) async throws {
        let body = RemoteWrite.encode(series)
        var delay = 0.5
        for attempt in 1...8 {
            var request = HTTPClientRequest(url: client.baseURL + "/v1/tenants/\(tenant)/prometheus/write")
            request.method = .POST
            if let token = client.resolvedToken { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            request.headers.add(name: "Content-Type", value: RemoteWrite.contentType)
            request.headers.add(name: "Content-Encoding", value: RemoteWrite.contentEncoding)
            request.headers.add(name: RemoteWrite.versionHeader, value: RemoteWrite.version)
            request.body = .bytes(ByteBuffer(bytes: body))
            do {
                let response = try await APIClient.http.execute(request, timeout: .seconds(120))
                let answer = try await response.body.collect(upTo: 1 << 20)
                let status = Int(response.status.code)
                if (200..<300).contains(status) { return }
                guard status == 429 || status >= 500, attempt < 8 else {
                    throw ClientFailure("the server answered \(status): \(String(buffer: answer).prefix(300))")
                }
                if let retryAfter = response.headers.first(name: "Retry-After").flatMap(Double.init) { delay = max(delay, retryAfter) }
            } catch let error as ClientFailure {
                throw error
            } catch {
                guard attempt < 8 else { throw ClientFailure("cannot reach \(client.baseURL): \(error)") }
            }
            try await Task.sleep(for: .seconds(delay))
            delay = min(delay * 2, 10)
        }
    }
}
