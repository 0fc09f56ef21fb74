import BudgetStore
import BudgetTestSupport
import Foundation
import PrometheusWire
import Testing

/// The whole path through a real Prometheus (Debian's package, started here on loopback): it scrapes a fixture
/// exporter every second and remote-writes to `chartly-budget serve`, which is killed with SIGKILL half way and
/// started again. The costs must equal what the exporter served, summed over pods × time × price, within one
/// scrape interval, with nothing counted twice.
@Suite("Prometheus remote write from a real Prometheus", .serialized, .timeLimit(.minutes(6)))
struct PrometheusEndToEndTests {
    static let admin = "e2e-admin-token-0123456789"
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/prometheus_fixture.py").path

    static func documents(tenant: String) -> String {
        #"""
        {"documents":[
          {"kind":"RateCard","metadata":{"tenant":"\#(tenant)"},"spec":{"currency":"USD","effective_from":"2026-01-01T00:00:00Z","prices":{"cpu_cores":"0.04","egress_gib":"0.09"}}},
          {"kind":"PrometheusMapping","metadata":{"tenant":"\#(tenant)","name":"kube"},"spec":{
            "environment":{"label":"namespace","map":{"shop":"prod"}},
            "service":{"label":"container"},
            "scrape_interval":"1s",
            "series":[
              {"metric":"kube_pod_container_resource_requests","match":{"resource":"cpu"},"resource":"cpu_cores"},
              {"metric":"container_network_transmit_bytes_total","resource":"egress_gib","counter":true,"scale":"0.000000000931322574615478515625"}
            ]}}
        ]}
        """#
    }

    struct Scrape: Decodable {
        var t: Double
        var gone: Bool
        var cpu: [String: Double]
        var egress: Double?
    }

    /// What the exporter served, as usage: core-seconds of the mapped pods and GiB sent.
    static func expected(_ scrapes: [Scrape]) -> (coreSeconds: Double, egressGiB: Double, cores: Double) {
        var coreSeconds = 0.0
        var cores = 0.0
        for pod in ["shop/worker-a", "shop/worker-b", "shop/worker-c"] {
            guard let first = scrapes.first(where: { $0.cpu[pod] != nil }), let end = scrapes.first(where: { $0.gone }) else { continue }
            coreSeconds += first.cpu[pod]! * (end.t - first.t)
            cores += first.cpu[pod]!
        }
        var egress = 0.0
        var previous: Double?
        for value in scrapes.compactMap(\.egress) {
            if let previous { egress += value >= previous ? value - previous : value }
            previous = value
        }
        return (coreSeconds, egress / 1_073_741_824, cores)
    }

    static func usage(_ store: BudgetStore, tenant: String) async throws -> (coreHours: Double, egressGiB: Double, costNanos: Int) {
        let rows = try await store.client.query(
            """
            SELECT coalesce(sum(quantity) FILTER (WHERE resource = 'cpu_cores'), 0)::float8,
                   coalesce(sum(quantity) FILTER (WHERE resource = 'egress_gib'), 0)::float8, coalesce(sum(cost_nanos), 0)::int8
            FROM cost_hourly WHERE tenant_id = \(tenant)
            """
        )
        for try await (cores, egress, cost) in rows.decode((Double, Double, Int).self) { return (cores, egress, cost) }
        return (0, 0, 0)
    }

    @Test("several pods, an unmapped namespace, a counter reset and a kill -9 of the service; then a query_range backfill, twice")
    func throughPrometheus() async throws {
        let url = try await TestDatabase.make()
        let environment = ["DATABASE_URL": url.urlString, "CHARTLY_ADMIN_TOKEN": Self.admin]
        // A port outside the ephemeral range: the service comes back on it after the kill.
        var server = try ServeProcess(port: try freeStablePort(), environment: environment)
        defer { _ = try? server.process.terminate() }
        try await server.waitUntilReady()
        let port = server.port
        for tenant in ["acme", "beta"] {
            let (status, body) = try await HTTP.post("\(server.baseURL)/v1/apply", headers: ["Authorization": "Bearer \(Self.admin)"], body: Self.documents(tenant: tenant))
            #expect(status == 200, "\(body)")
        }

        let state = FileManager.default.temporaryDirectory.appendingPathComponent("prom-fixture-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let exporterPort = try freePort()
        let exporter = try PythonProcess(script: Self.fixture, arguments: [String(exporterPort), state])
        for _ in 0..<100 where !isListening(port: exporterPort) { try await Task.sleep(for: .milliseconds(100)) }
        try? FileManager.default.removeItem(atPath: state + "/scrapes.jsonl")

        let prometheus = try PrometheusProcess(
            configuration: """
                global:
                  scrape_interval: 1s
                  scrape_timeout: 900ms
                scrape_configs:
                  - job_name: fixture
                    static_configs: [{ targets: ['127.0.0.1:\(exporterPort)'] }]
                remote_write:
                  - url: http://127.0.0.1:\(port)/v1/tenants/acme/prometheus/write
                    authorization: { credentials: \(Self.admin) }
                    queue_config: { batch_send_deadline: 500ms, min_backoff: 100ms, max_backoff: 1s, max_samples_per_send: 2000 }
                    metadata_config: { send: false }
                  - url: http://127.0.0.1:\(exporterPort)/capture
                    queue_config: { batch_send_deadline: 500ms }
                    metadata_config: { send: false }
                """
        )
        try await prometheus.waitUntilReady()

        try await Task.sleep(for: .seconds(6))
        FileManager.default.createFile(atPath: state + "/reset", contents: nil)
        try await Task.sleep(for: .seconds(3))
        // The service dies without a goodbye while Prometheus is sending; it comes back on the same port.
        #expect(try await server.stop(signal: SIGKILL) != 0)
        try await Task.sleep(for: .seconds(3))
        server = try ServeProcess(port: port, environment: environment)
        try await server.waitUntilReady()
        try await Task.sleep(for: .seconds(5))
        // The pods go away: Prometheus writes staleness markers, which end the gauge series.
        FileManager.default.createFile(atPath: state + "/gone", contents: nil)

        let baseURL = server.baseURL
        let store = BudgetStore(url: url, maximumConnections: 2, acquireTimeout: TestDatabase.acquireTimeout, logger: TestDatabase.testLogger)
        try await store.whileRunning {
            var status: PrometheusStatus?
            for _ in 0..<120 {
                let (code, body) = try await HTTP.get("\(baseURL)/v1/tenants/acme/prometheus/status", headers: ["Authorization": "Bearer \(Self.admin)"])
                if code == 200, let decoded = try? JSONDecoder().decode(PrometheusStatus.self, from: Data(body.utf8)) {
                    status = decoded
                    if decoded.rules.allSatisfy({ $0.series > 0 && $0.openSeries == 0 }) { break }
                }
                try await Task.sleep(for: .milliseconds(250))
            }
            let live = try #require(status)
            #expect(live.rules.map(\.series) == [3, 1], "three pods of worker, one counter: \(live.rules)")
            #expect(live.rules.allSatisfy { $0.openSeries == 0 }, "every series ended by its staleness marker: \(live.rules)")
            #expect(live.resent >= 0)
            let drops = Set(live.topDropped.map { "\($0.metric) \($0.reason)" })
            #expect(drops.contains("kube_pod_container_resource_requests unmapped_environment"), "\(live.topDropped)")
            #expect(drops.contains("kube_pod_container_resource_requests no_rule"), "memory requests have no rule: \(live.topDropped)")
            #expect(drops.contains("unrelated_metric no_rule"), "\(live.topDropped)")

            let lines = try String(contentsOfFile: state + "/scrapes.jsonl", encoding: .utf8).split(separator: "\n")
            let scrapes = try lines.map { try JSONDecoder().decode(Scrape.self, from: Data($0.utf8)) }
            let expected = Self.expected(scrapes)
            let acme = try await Self.usage(store, tenant: "acme")
            // Within one scrape interval (1 s) of every pod.
            #expect(abs(acme.coreHours * 3600 - expected.coreSeconds) <= expected.cores * 1.0, "core-seconds \(acme.coreHours * 3600) vs \(expected.coreSeconds)")
            #expect(expected.coreSeconds > 2.25 * 10, "the exporter served the pods for more than 10 seconds")
            #expect(abs(acme.egressGiB - expected.egressGiB) < 1e-9, "egress \(acme.egressGiB) GiB vs \(expected.egressGiB)")
            let priced = Int((acme.coreHours * 0.04 + acme.egressGiB * 0.09) * 1e9)
            // Each stretch of usage is priced to the nano on its own: the sum may differ from the total's price by a few nanos.
            #expect(abs(acme.costNanos - priced) <= 1_000, "cost \(acme.costNanos) vs \(priced)")

            // Payloads exactly as Prometheus sent them decode, with the headers remote write 1.0 prescribes.
            let captures = try FileManager.default.contentsOfDirectory(atPath: state + "/capture").filter { $0.hasSuffix(".bin") }.sorted()
            #expect(!captures.isEmpty)
            var names: Set<String> = []
            var pods: Set<String> = []
            for name in captures {
                let body = try [UInt8](Data(contentsOf: URL(fileURLWithPath: state + "/capture/" + name)))
                for series in try RemoteWrite.decode(body, maximumUncompressedBytes: 32 << 20) {
                    names.insert(series.metric)
                    if let pod = series.labels["pod"], series.metric == "kube_pod_container_resource_requests" { pods.insert(pod) }
                    #expect(series.labels["job"] == "fixture")
                }
                let headers = try String(contentsOfFile: state + "/capture/" + name.replacingOccurrences(of: ".bin", with: ".headers"), encoding: .utf8).lowercased()
                #expect(headers.contains(#""content-encoding": "snappy""#) && headers.contains(#""x-prometheus-remote-write-version": "0.1.0""#), "\(headers)")
            }
            #expect(names.isSuperset(of: ["kube_pod_container_resource_requests", "container_network_transmit_bytes_total", "unrelated_metric"]), "\(names)")
            #expect(pods == ["worker-a", "worker-b", "worker-c", "coredns-x"])

            // Backfill the same history into another tenant with query_range: the same usage; run again, nothing more.
            let from = Date(timeIntervalSince1970: scrapes.first!.t - 5).ISO8601Format()
            let to = Date(timeIntervalSince1970: scrapes.last!.t + 2).ISO8601Format()
            let arguments = ["import-prometheus", "--url", prometheus.baseURL, "--tenant", "beta", "--from", from, "--to", to, "--step", "1s", "--window", "10s",
                             "--server", baseURL, "--token", Self.admin]
            let first = try await ChartlyBinary.run(arguments)
            #expect(first.status == 0, "\(first.stdout) \(first.stderr)")
            #expect(first.stdout.contains("imported"), "\(first.stdout)")
            let beta = try await Self.usage(store, tenant: "beta")
            // query_range's grid starts up to one step after the first sample and ends without a staleness marker
            // (the last point waits for a successor): within one step at each end.
            #expect(abs(beta.coreHours * 3600 - expected.coreSeconds) <= expected.cores * 2.0, "backfilled core-seconds \(beta.coreHours * 3600) vs \(expected.coreSeconds)")
            #expect(abs(beta.egressGiB - expected.egressGiB) < 1e-9, "backfilled egress \(beta.egressGiB) vs \(expected.egressGiB)")
            let again = try await ChartlyBinary.run(arguments)
            #expect(again.status == 0, "\(again.stderr)")
            #expect(try await Self.usage(store, tenant: "beta") == beta, "a second run adds nothing")
            #expect(again.stdout.contains(" 0 dropped") || again.stdout.contains("already counted"), "\(again.stdout)")
        }
        prometheus.stop()
        exporter.stop()
        #expect(try await server.stop() == 0)
    }
}
