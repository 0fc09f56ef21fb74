import BudgetCore
@testable import BudgetServer
import BudgetStore
import BudgetTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PrometheusWire
import Testing

/// The tenant's rate card and a kube-state-metrics / cAdvisor mapping, as `POST /v1/apply` documents.
let prometheusDocuments = #"""
    {"documents":[
      {"kind":"RateCard","metadata":{"tenant":"acme"},"spec":{"currency":"USD","effective_from":"2026-01-01T00:00:00Z","prices":{"cpu_cores":"4","memory_gib":"0.005","egress_gib":"0.09"}}},
      {"kind":"PrometheusMapping","metadata":{"tenant":"acme","name":"kube"},"spec":{
        "environment":{"label":"namespace","map":{"shop":"prod","shop-staging":"staging"}},
        "service":{"label":"container"},
        "series":[
          {"metric":"kube_pod_container_resource_requests","match":{"resource":"cpu"},"resource":"cpu_cores"},
          {"metric":"container_network_transmit_bytes_total","resource":"egress_gib","counter":true,"scale":"0.000000000931322574615478515625"}
        ]}}
    ]}
    """#

/// 2026-11-01T00:00:00Z in milliseconds, plus `minutes`.
func promTime(_ minutes: Double) -> Int64 { 1_793_491_200_000 + Int64(minutes * 60_000) }

func requests(pod: String, namespace: String = "shop", cores: Double, minutes: [Double]) -> RemoteWrite.Series {
    RemoteWrite.Series(
        labels: ["__name__": "kube_pod_container_resource_requests", "namespace": namespace, "pod": pod, "container": "worker", "resource": "cpu", "unit": "core"],
        samples: minutes.map { (promTime($0), cores) }
    )
}

extension TestClientProtocol {
    func remoteWrite(
        _ body: [UInt8], tenant: String = "acme", token: String? = TestApp.adminToken, contentType: String = "application/x-protobuf",
        encoding: String = "snappy"
    ) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: contentType, .contentEncoding: encoding]
        headers[HTTPField.Name("X-Prometheus-Remote-Write-Version")!] = "0.1.0"
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await execute(uri: "/v1/tenants/\(tenant)/prometheus/write", method: .post, headers: headers, body: ByteBuffer(bytes: body))
    }
}

@Suite("POST /v1/tenants/{tenant}/prometheus/write", .timeLimit(.minutes(2)))
struct PrometheusRemoteWriteTests {
    static func cpuCoreHours(_ store: BudgetStore) async throws -> Double {
        let rows = try await store.client.query("SELECT coalesce(sum(quantity), 0)::float8 FROM cost_hourly WHERE tenant_id = 'acme' AND resource = 'cpu_cores'")
        for try await value in rows.decode(Double.self) { return value }
        return 0
    }

    static func costNanos(_ store: BudgetStore, resource: String) async throws -> Int {
        try await store.count("SELECT coalesce(sum(cost_nanos), 0)::int8 FROM cost_hourly WHERE tenant_id = 'acme' AND resource = \(resource)")
    }

    @Test("pods of one service add up, a gauge holds until its next sample, a re-sent write adds nothing, a staleness marker ends it")
    func gaugesAddUp() async throws {
        try await TestApp.fresh().test { client, store in
            #expect(try await client.send(.post, "/v1/apply", body: prometheusDocuments).status == .ok)
            let minutes = (0...10).map(Double.init)
            let write = RemoteWrite.encode([
                requests(pod: "worker-a", cores: 0.5, minutes: minutes), requests(pod: "worker-b", cores: 1.5, minutes: minutes),
                requests(pod: "worker-c", cores: 0.25, minutes: minutes),
            ])
            let first = try await client.remoteWrite(write)
            #expect(first.status == .noContent, "\(first.text)")
            // Ten minutes of 2.25 cores are complete; the last sample waits for its successor.
            #expect(abs(try await Self.cpuCoreHours(store) - 2.25 * 10 / 60) < 1e-9)
            #expect(try await Self.costNanos(store, resource: "cpu_cores") == 1_500_000_000)  // 0.375 core-hours × 4 USD

            // Prometheus re-sends the batch after a timeout: nothing changes.
            #expect(try await client.remoteWrite(write).status == .noContent)
            #expect(try await Self.costNanos(store, resource: "cpu_cores") == 1_500_000_000)

            // The pods go away: staleness markers at minute 11 count their last minute.
            let stale = Double(bitPattern: RemoteWrite.staleNaNBits)
            let markers = ["worker-a", "worker-b", "worker-c"].map { pod in
                var series = requests(pod: pod, cores: 0, minutes: [])
                series.samples = [(promTime(11), stale)]
                return series
            }
            #expect(try await client.remoteWrite(RemoteWrite.encode(markers)).status == .noContent)
            #expect(try await Self.costNanos(store, resource: "cpu_cores") == 1_650_000_000)

            // The costs API sees it like any usage.
            let costs = try await client.send(.get, "/v1/tenants/acme/costs?environment=prod&from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z")
            #expect(costs.status == .ok)
            #expect(costs.text.contains(#""total":"1.65""#), "\(costs.text)")
        }
    }

    @Test("a counter's increase is the usage, a reset counts from zero, and a gap longer than staleness holds one interval")
    func counterAndGaps() async throws {
        try await TestApp.fresh().test { client, store in
            let applied = try await client.send(.post, "/v1/apply", body: prometheusDocuments)
            #expect(applied.status == .ok)
            let gib = 1_073_741_824.0
            let counts: [(timestamp: Int64, value: Double)] = [
                (promTime(0), 10 * gib), (promTime(1), 11 * gib), (promTime(2), 12 * gib), (promTime(3), 0.5 * gib), (promTime(4), 1.5 * gib),
            ]
            let egress = RemoteWrite.Series(
                labels: ["__name__": "container_network_transmit_bytes_total", "namespace": "shop", "pod": "worker-a", "container": "worker", "interface": "eth0"],
                samples: counts
            )
            // A gauge scraped every minute, then nothing for 20 minutes: the last sample before the gap holds one minute.
            let gauge = requests(pod: "worker-a", cores: 1, minutes: [0, 1, 2, 22, 23])
            let written = try await client.remoteWrite(RemoteWrite.encode([egress, gauge]))
            #expect(written.status == .noContent)
            // 1 + 1 + 0.5 (reset) + 1 GiB at 0.09 USD
            let egressCost = try await Self.costNanos(store, resource: "egress_gib")
            #expect(egressCost == 315_000_000)
            // minutes 0–1, 1–2, 2–3 (held one interval), 22–23: four core-minutes
            let coreHours = try await Self.cpuCoreHours(store)
            #expect(abs(coreHours - 4.0 / 60) < 1e-9)
        }
    }

    @Test("series no rule takes and namespaces not mapped are dropped, counted, and listed in the status")
    func dropsAreVisible() async throws {
        try await TestApp.fresh().test { client, store in
            #expect(try await client.send(.post, "/v1/apply", body: prometheusDocuments).status == .ok)
            let write = RemoteWrite.encode([
                requests(pod: "worker-a", cores: 1, minutes: [0, 1]),
                requests(pod: "coredns", namespace: "kube-system", cores: 4, minutes: [0, 1, 2]),
                RemoteWrite.Series(labels: ["__name__": "up", "job": "node"], samples: [(promTime(0), 1)]),
            ])
            #expect(try await client.remoteWrite(write).status == .noContent)
            let status = try await client.send(.get, "/v1/tenants/acme/prometheus/status")
            #expect(status.status == .ok)
            let decoded = try JSONDecoder().decode(PrometheusStatus.self, from: Data(buffer: status.body))
            #expect(decoded.mappings == ["kube"])
            #expect(decoded.samples == 2)
            #expect(decoded.dropped == 4)
            #expect(decoded.rules.first { $0.rule == "kube/0" }?.series == 1)
            let drops = Dictionary(uniqueKeysWithValues: decoded.topDropped.map { ("\($0.metric) \($0.reason)", $0.samples) })
            #expect(drops == ["kube_pod_container_resource_requests unmapped_environment": 3, "up no_rule": 1])
            let metrics = try await client.execute(uri: "/metrics", method: .get, headers: [:], body: nil)
            #expect(String(buffer: metrics.body).contains(#"prometheus_samples_dropped_total{tenant="acme",reason="unmapped_environment"} 3"#))
            #expect(abs(try await Self.cpuCoreHours(store) - 1.0 / 60) < 1e-9)
        }
    }

    @Test("garbage, a wrong encoding or content type, and a series without a name are 400 with a message; nothing is written")
    func badInput() async throws {
        try await TestApp.fresh().test { client, store in
            #expect(try await client.send(.post, "/v1/apply", body: prometheusDocuments).status == .ok)
            let garbage = try await client.remoteWrite(Array("this is not snappy at all, nor protobuf".utf8))
            #expect(garbage.status == .badRequest)
            #expect(garbage.json?.error.code == "invalid_remote_write")
            #expect(garbage.json?.error.message.contains("snappy") == true)

            // Valid snappy around bytes that are not a WriteRequest.
            let notProtobuf = try await client.remoteWrite(Snappy.compress([0xff, 0xff, 0xff, 0xff, 0x0f]))
            #expect(notProtobuf.status == .badRequest)
            #expect(notProtobuf.json?.error.message.contains("protobuf") == true)

            let valid = RemoteWrite.encode([requests(pod: "worker-a", cores: 1, minutes: [0, 1, 2])])
            let gzip = try await client.remoteWrite(valid, encoding: "gzip")
            #expect(gzip.status == .badRequest)
            #expect(gzip.json?.error.field == "Content-Encoding")
            let json = try await client.remoteWrite(valid, contentType: "application/json")
            #expect(json.status == .badRequest)
            #expect(json.json?.error.field == "Content-Type")

            let nameless = try await client.remoteWrite(RemoteWrite.encode([RemoteWrite.Series(labels: ["job": "x"], samples: [(promTime(0), 1)])]))
            #expect(nameless.status == .badRequest)
            #expect(nameless.json?.error.message.contains("__name__") == true)

            #expect(try await store.count("SELECT count(*) FROM prometheus_series") == 0)
            #expect(try await store.count("SELECT count(*) FROM prometheus_writes") == 0)
        }
    }

    @Test("a tenant's ingest token writes; no token is 401, another tenant's or a read token is 403")
    func tokens() async throws {
        try await TestApp.fresh().test { client, store in
            #expect(try await client.send(.post, "/v1/apply", body: prometheusDocuments).status == .ok)
            let write = RemoteWrite.encode([requests(pod: "worker-a", cores: 1, minutes: [0, 1])])
            #expect(try await client.remoteWrite(write, token: nil).status == .unauthorized)
            let other = try await client.createToken(name: "other", scopes: ["globex:ingest"])
            #expect(try await client.remoteWrite(write, token: other).status == .forbidden)
            let reader = try await client.createToken(name: "reader", scopes: ["acme:read"])
            #expect(try await client.remoteWrite(write, token: reader).status == .forbidden)
            #expect(try await store.count("SELECT count(*) FROM prometheus_series") == 0)
            let ingest = try await client.createToken(name: "prometheus", scopes: ["acme:ingest"])
            #expect(try await client.remoteWrite(write, token: ingest).status == .noContent)
            #expect(try await store.count("SELECT count(*) FROM prometheus_series") == 1)
        }
    }

    @Test("a mapping with a bad field is refused by name")
    func badMapping() async throws {
        try await TestApp.fresh().test { client, _ in
            let document = #"{"documents":[{"kind":"PrometheusMapping","metadata":{"tenant":"acme","name":"kube"},"spec":{"environment":{"label":"namespace"},"service":{"label":"container"},"series":[{"metric":"x","resource":"egress_gib"}]}}]}"#
            let response = try await client.send(.post, "/v1/apply", body: document)
            #expect(response.status == .unprocessableContent || response.status == .badRequest)
            #expect(response.text.contains("series[0].counter"), "\(response.text)")
        }
    }
}

@Suite("Budgets/acme-prometheus.yaml, the shipped example")
struct PrometheusExampleMappingTests {
    @Test("the example mappings load, and turn kube-state-metrics and cAdvisor series into usage of prod services")
    func exampleMappings() throws {
        let budgets = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Budgets").path
        let loaded = try BudgetFiles.load(directory: budgets, environmentVariables: ["ACME_WEBHOOK_SECRET": "x", "ACME_SLACK_SECRET": "x", "ACME_ALERT_SECRET": "x"])
        let mappings = try #require(loaded.desired.tenants["acme"]?.prometheusMappings)
        #expect(mappings.map(\.name).sorted() == ["cadvisor", "kube-state-metrics"])
        #expect(loaded.desired.tenants["acme"]?.kubernetesBindings.map(\.name) == ["cluster-a"], "Budgets/acme-kubernetes.yaml loads too")
        let rules = PrometheusRules(mappings: mappings)
        let (mapped, dropped) = rules.map([
            RemoteWrite.Series(
                labels: ["__name__": "kube_pod_container_resource_requests", "namespace": "shop", "pod": "worker-7d9f8c6b5-x2k4q", "container": "worker", "resource": "memory", "unit": "byte"],
                samples: [(promTime(0), 2_147_483_648)]
            ),
            RemoteWrite.Series(
                labels: ["__name__": "container_network_transmit_bytes_total", "namespace": "shop-staging", "pod": "checkout-7d9f8c6b5-x2k4q", "interface": "eth0"],
                samples: [(promTime(0), 1)]
            ),
            RemoteWrite.Series(
                labels: ["__name__": "container_network_transmit_bytes_total", "namespace": "shop", "pod": "db-0", "interface": "eth0"],
                samples: [(promTime(0), 1)]
            ),
        ])
        #expect(mapped.map { "\($0.environment)/\($0.service)/\($0.resource.rawValue)" } == ["prod/worker/memory_gib", "staging/checkout/egress_gib", "prod/db/egress_gib"])
        #expect(mapped.first?.reading.scale == 1.0 / 1_073_741_824)
        #expect(dropped.isEmpty)
    }
}
