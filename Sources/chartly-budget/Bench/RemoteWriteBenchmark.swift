import BudgetCore
import BudgetStore
import Foundation
import Logging
import NIOCore
import PrometheusWire

/// Samples per second through Prometheus remote write (`POST …/prometheus/write`), in requests of 2,000 samples
/// as Prometheus sends them: 50 services × 4 pods of kube_pod_container_resource_requests per client, scraped
/// every minute, each request ten scrapes of its client's 200 series. Each sample but a series' first completes
/// one minute of usage, priced into the rollups: the same usage rows the JSON ingest benchmark writes.
struct RemoteWriteBenchmark {
    let samples: Int
    let clients: Int
    static let seriesPerClient = 200
    static let scrapesPerRequest = 10

    struct Result: Sendable {
        var seconds: Double
        var samples: Int
        var pieces: Int
        var rate: Double { Double(samples) / seconds }
    }

    func run(in environment: InProcessService, logger: Logger) async throws -> Result {
        let tenant = "bench-prom"
        let mapping = #"""
            {"documents":[{"kind":"PrometheusMapping","metadata":{"tenant":"bench-prom","name":"kube"},"spec":{
              "environment":{"label":"namespace","map":{"shop":"prod"}},"service":{"label":"container"},
              "series":[{"metric":"kube_pod_container_resource_requests","match":{"resource":"cpu"},"resource":"cpu_cores"}]}}]}
            """#
        _ = try await environment.client.post("/v1/apply", token: environment.token, body: ByteBuffer(string: mapping)).ok("apply the mapping")
        let requestsPerClient = max(1, samples / (clients * Self.seriesPerClient * Self.scrapesPerRequest))
        let base: Int64 = 1_790_812_800_000  // 2026-10-01T00:00:00Z, in milliseconds
        // Bodies are built (and compressed) before the clock starts: the figure is the service's.
        let bodies: [[ByteBuffer]] = (0..<clients).map { client in
            (0..<requestsPerClient).map { request in
                let series = (0..<Self.seriesPerClient).map { index in
                    RemoteWrite.Series(
                        labels: [
                            "__name__": "kube_pod_container_resource_requests", "namespace": "shop", "container": "svc-\(index % 50)",
                            "pod": "svc-\(index % 50)-c\(client)-p\(index / 50)", "resource": "cpu", "unit": "core",
                        ],
                        samples: (0..<Self.scrapesPerRequest).map { scrape in
                            (base + Int64(request * Self.scrapesPerRequest + scrape) * 60_000, 0.5)
                        }
                    )
                }
                return ByteBuffer(bytes: RemoteWrite.encode(series))
            }
        }
        try await environment.store.ensureUsagePartitions(
            tenant: tenant, from: Timestamp(microsecondsSinceEpoch: base * 1000),
            to: Timestamp(microsecondsSinceEpoch: (base + Int64(requestsPerClient * Self.scrapesPerRequest) * 60_000) * 1000)
        )
        let headers = [("Content-Encoding", "snappy"), (RemoteWrite.versionHeader, RemoteWrite.version)]
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<clients {
                group.addTask {
                    // One client's requests in time order, as one remote-write shard sends its series.
                    for body in bodies[client] {
                        let response = try await environment.client.post(
                            "/v1/tenants/\(tenant)/prometheus/write", token: environment.token, body: body, contentType: RemoteWrite.contentType,
                            extraHeaders: headers
                        )
                        guard response.status == .noContent else {
                            throw ClientFailure("remote write answered \(response.status.code): \(String(buffer: response.body))")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let seconds = (ContinuousClock.now - start).seconds
        let sent = clients * requestsPerClient * Self.seriesPerClient * Self.scrapesPerRequest
        // Every sample but each series' newest completed one minute: check the rollups hold exactly that.
        let series = clients * Self.seriesPerClient
        let expectedCoreHours = Double(sent - series) * 0.5 / 60
        let rows = try await environment.store.client.query(
            "SELECT coalesce(sum(quantity), 0)::float8 FROM cost_hourly WHERE tenant_id = \(tenant) AND resource = 'cpu_cores'"
        )
        var stored = 0.0
        for try await value in rows.decode(Double.self) { stored = value }
        guard abs(stored - expectedCoreHours) < 1e-6 * max(1, expectedCoreHours) else {
            throw ClientFailure("remote write counted \(stored) core-hours, expected \(expectedCoreHours)")
        }
        return Result(seconds: seconds, samples: sent, pieces: sent - series)
    }
}
