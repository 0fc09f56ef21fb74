import AsyncHTTPClient
import BudgetServer
import Foundation
import Histogram
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// The Kubernetes admission webhook's latency over TLS (`POST …/kubernetes/admission`, a Deployment CREATE in a
/// bound namespace) beside `POST …/decisions` for the same scale-up, on the same TLS listener and client, in the
/// same run, at 1 and 8 concurrent requests.
struct WebhookBenchmark {
    let seconds: Double
    /// Concurrent requests, each measured for both paths.
    var clientCounts = [1, 8]

    struct Figure: Sendable {
        var path: String
        var clients: Int
        var rate: Double
        var p50: Double
        var p99: Double
        /// CPU per request: the service, the load generator's event loop, PostgreSQL.
        var cpu: CPUAccount.PerRequest? = nil
    }

    /// A self-signed certificate for 127.0.0.1 made with the `openssl` command, in a new directory.
    static func makeCertificate() throws -> (certificate: String, key: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chartly-bench-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", directory + "/key.pem", "-out", directory + "/cert.pem",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ClientFailure("openssl could not make the benchmark's certificate") }
        return (directory + "/cert.pem", directory + "/key.pem")
    }

    /// Eight bound namespaces, one environment each (the decision benchmark's "spread" layout: scale-ups of
    /// different environments do not wait for one another), each with a cap and a scaling policy for `svc`.
    static let setup: String = {
        var documents = [
            #"{"kind":"RateCard","metadata":{"tenant":"bench-k8s"},"spec":{"currency":"USD","effective_from":"2026-01-01T00:00:00Z","prices":{"cpu_cores":"0.04","memory_gib":"0.005"}}}"#,
            #"{"kind":"KubernetesBinding","metadata":{"tenant":"bench-k8s","name":"cluster-a"},"spec":{"namespaces":{\#((0..<8).map { #""shop-\#($0)":"env-\#($0)""# }.joined(separator: ","))},"service_label":"app.kubernetes.io/name"}}"#,
        ]
        for index in 0..<8 {
            documents.append(#"{"kind":"EnvironmentCap","metadata":{"tenant":"bench-k8s","environment":"env-\#(index)","name":"env-\#(index)-hard"},"spec":{"hourly_run_rate":"1000000.00"}}"#)
            documents.append(#"{"kind":"ScalingPolicy","metadata":{"tenant":"bench-k8s","environment":"env-\#(index)","service":"svc"},"spec":{"min_replicas":1,"max_replicas":100000,"scale_up":{"cooldown_seconds":0}}}"#)
        }
        return #"{"documents":["# + documents.joined(separator: ",") + "]}"
    }()

    static func review(uid: String, name: String, namespace: String) -> String {
        #"""
        {"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"\#(uid)","kind":{"group":"apps","version":"v1","kind":"Deployment"},"resource":{"group":"apps","version":"v1","resource":"deployments"},"requestKind":{"group":"apps","version":"v1","kind":"Deployment"},"requestResource":{"group":"apps","version":"v1","resource":"deployments"},"name":"\#(name)","namespace":"\#(namespace)","operation":"CREATE","userInfo":{"username":"system:serviceaccount:kube-system:deployment-controller","groups":["system:serviceaccounts","system:authenticated"]},"object":{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"\#(name)","namespace":"\#(namespace)","labels":{"app.kubernetes.io/name":"\#(name)"}},"spec":{"replicas":3,"selector":{"matchLabels":{"app.kubernetes.io/name":"\#(name)"}},"template":{"metadata":{"labels":{"app.kubernetes.io/name":"\#(name)"}},"spec":{"containers":[{"name":"app","image":"registry.example.com/app:1.4.2","resources":{"requests":{"cpu":"2","memory":"4Gi"}}}]}}}},"oldObject":null,"dryRun":false,"options":{"kind":"CreateOptions","apiVersion":"meta.k8s.io/v1"}}}
        """#
    }

    static func decision(id: String, name: String, environment: String) -> String {
        #"{"request_id":"\#(id)","environment":"\#(environment)","service":"\#(name)","current_replicas":0,"desired_replicas":3,"per_replica":{"cpu_cores":2,"memory_gib":4},"signals":[{"name":"cpu_utilization","value":0.9}]}"#
    }

    /// `postgres` is the service's database (its `pg_stat_activity` names the server processes whose CPU is counted).
    func run(baseURL: String, token: String, certificate: String, postgres: PostgresClient) async throws -> [Figure] {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(certificate))
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 16
        // The load generator on an event loop of its own (not the service's), so that its CPU can be told apart.
        let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = HTTPClient(eventLoopGroupProvider: .shared(clientGroup), configuration: configuration)
        do {
            let figures = try await measure(client: client, clientLoop: clientGroup.next(), baseURL: baseURL, token: token, postgres: postgres)
            try await client.shutdown()
            try await clientGroup.shutdownGracefully()
            return figures
        } catch {
            try? await client.shutdown()
            try? await clientGroup.shutdownGracefully()
            throw error
        }
    }

    private func measure(client: HTTPClient, clientLoop: any EventLoop, baseURL: String, token: String, postgres: PostgresClient) async throws -> [Figure] {
        func post(_ path: String, _ body: String) async throws -> (UInt, ByteBuffer) {
            var request = HTTPClientRequest(url: baseURL + path)
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
            let response = try await client.execute(request, timeout: .seconds(30))
            return (response.status.code, try await response.body.collect(upTo: 1 << 20))
        }
        let (status, body) = try await post("/v1/apply", Self.setup)
        guard status == 200 else { throw ClientFailure("webhook bench set-up answered \(status): \(String(buffer: body))") }

        var figures: [Figure] = []
        for clients in clientCounts {
            for path in ["webhook", "decisions"] {
                // Warm-up (not timed): connections and handshakes, the first decision's caches.
                for index in 0..<20 { _ = try await send(path, index: -1 - index, client: clients, post: post) }
                let histogram = HistogramBox()
                let count = BenchCounter()
                let cpuStart = try await CPUAccount.sample(clientLoop: clientLoop, postgres: postgres)
                let start = ContinuousClock.now
                let deadline = start + .milliseconds(Int64(seconds * 1000))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in 0..<clients {
                        group.addTask {
                            var sequence = 0
                            while ContinuousClock.now < deadline {
                                let began = ContinuousClock.now
                                try await send(path, index: worker * 1_000_000 + sequence, client: clients, post: post)
                                histogram.record(UInt64((ContinuousClock.now - began).seconds * 1_000_000))
                                _ = count.take(below: Int.max)
                                sequence += 1
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                let elapsed = (ContinuousClock.now - start).seconds
                let done = count.take(below: Int.max) ?? 0
                var figure = histogram.figure(path: path, clients: clients, rate: Double(done) / elapsed)
                figure.cpu = try await CPUAccount.sample(clientLoop: clientLoop, postgres: postgres).since(cpuStart, requests: done)
                figures.append(figure)
            }
        }
        return figures
    }

    private func send(
        _ path: String, index: Int, client clients: Int, post: (String, String) async throws -> (UInt, ByteBuffer)
    ) async throws {
        let name = "svc"
        let slot = abs(index) % 8
        let id = "\(path)-\(clients)-\(index)-\(UInt32.random(in: 0...UInt32.max))"
        let (status, body) = path == "webhook"
            ? try await post("/v1/tenants/bench-k8s/kubernetes/admission", Self.review(uid: id, name: name, namespace: "shop-\(slot)"))
            : try await post("/v1/tenants/bench-k8s/decisions", Self.decision(id: id, name: name, environment: "env-\(slot)"))
        guard status == 200 || status == 201 else { throw ClientFailure("\(path) answered \(status): \(String(buffer: body))") }
        if path == "webhook", !String(buffer: body).contains(#""allowed":true"#) { throw ClientFailure("the review was not allowed: \(String(buffer: body))") }
    }
}

/// Latencies in µs from concurrent workers.
final class HistogramBox: @unchecked Sendable {
    private var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    private let lock = NSLock()

    func record(_ micros: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        histogram.record(micros)
    }

    func figure(path: String, clients: Int, rate: Double) -> WebhookBenchmark.Figure {
        lock.lock()
        defer { lock.unlock() }
        return .init(
            path: path, clients: clients, rate: rate, p50: Double(histogram.valueAtPercentile(50)) / 1000, p99: Double(histogram.valueAtPercentile(99)) / 1000
        )
    }
}
