import BudgetServer
import ArgumentParser
import BudgetStore
import Foundation
import Logging

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the service against PostgreSQL doing the same work directly, in one run on a fresh database.",
        discussion: "Each figure is printed beside its baseline measured in the same run, with the ratio."
    )

    @Option(help: "postgres:// server to create the benchmark database on (default: a throwaway embedded cluster).")
    var databaseURL: String?

    @Option(help: "Samples for the ingest figure.")
    var samples: Int = 100_000

    @Option(help: "Samples per ingest request.")
    var batchSize: Int = 5_000

    @Option(help: "Concurrent ingest clients (and COPY connections for the baseline).")
    var clients: Int = 4

    @Option(help: "Services in the read benchmark's environment.")
    var readServices: Int = 200

    @Option(help: "Days of per-minute usage in the read benchmark.")
    var readDays: Int = 30

    @Option(help: "Services of tenant B in the isolation benchmark (tenant A has 100 times as many).")
    var isolationServices: Int = 10

    @Option(help: "Days of 5-minute usage per service in the isolation benchmark.")
    var isolationDays: Int = 7

    @Option(help: "Timed rounds of tenant B's operations per isolation phase (10 a second on average).")
    var isolationRounds: Int = 400

    @Option(help: "Which parts to run (ingest, read, decide, isolation, remote-write, webhook); default all but remote-write and webhook.")
    var only: [String] = []

    @Flag(help: "Also run the ingest and decision parts on a local Citus cluster (a coordinator and two workers; needs ../shared/scripts/install-citus) and print both engines side by side.")
    var citus = false

    @Option(help: "Concurrent requests in the webhook part, each measured for both paths (default 1 and 8; the goal is at 8).")
    var webhookClients: [Int] = [1, 8]

    @Option(help: "Seconds per decision measurement.")
    var decisionSeconds: Double = 3

    @Option(help: "Burn CPU on a thread of its own for this many ms, one burst every --cpu-burst-period-ms on average (random gaps), during the whole run (default 0: off): a neighbour's CPU use alone, to compare with a neighbour tenant's traffic.")
    var cpuBurstMs: Int = 0

    @Option(help: "The mean time from the start of one --cpu-burst-ms burst to the next, in ms (default 100). The burst's share of a core is --cpu-burst-ms / --cpu-burst-period-ms: e.g. 1 and 10 give the same share as 10 and 100 in bursts ten times shorter.")
    var cpuBurstPeriodMs: Int = 100

    func validate() throws {
        let known = ["ingest", "read", "decide", "isolation", "remote-write", "webhook"]
        if let unknown = only.first(where: { !known.contains($0) }) {
            throw ValidationError("--only \(unknown) is not a part; parts are \(known.joined(separator: ", "))")
        }
        guard !webhookClients.isEmpty, webhookClients.allSatisfy({ (1...64).contains($0) }) else {
            throw ValidationError("--webhook-clients must be from 1 to 64")
        }
        guard isolationRounds >= 1 else { throw ValidationError("--isolation-rounds must be at least 1, got \(isolationRounds)") }
        guard cpuBurstPeriodMs >= 1 else { throw ValidationError("--cpu-burst-period-ms must be at least 1, got \(cpuBurstPeriodMs)") }
        guard (0..<cpuBurstPeriodMs).contains(cpuBurstMs) else {
            throw ValidationError("--cpu-burst-ms must be from 0 to \(cpuBurstPeriodMs - 1) (milliseconds of every --cpu-burst-period-ms), got \(cpuBurstMs)")
        }
    }

    func run() async throws {
        var quietLogger = makeLogger("chartly.bench")
        quietLogger.logLevel = .warning
        let logger = quietLogger
        let samples = self.samples, batchSize = self.batchSize, clients = self.clients
        let readServices = self.readServices, readDays = self.readDays
        let parts = Set(only.isEmpty ? ["ingest", "read", "decide", "isolation"] : only)
        let isolationServices = self.isolationServices, isolationDays = self.isolationDays, isolationRounds = self.isolationRounds
        let decisionSeconds = self.decisionSeconds
        let webhookClients = self.webhookClients
        print("chartly-budget bench — \(Machine.describe())")
        let burst = cpuBurstMs > 0 ? CPUBurst(burst: .milliseconds(cpuBurstMs), period: .milliseconds(cpuBurstPeriodMs)) : nil
        defer { burst?.stop() }
        if cpuBurstMs > 0 { print("with a busy loop of \(cpuBurstMs) ms, one every \(cpuBurstPeriodMs) ms on average (random gaps), on a thread of its own, for the whole run") }
        if parts.contains("webhook") {
            let (certificate, key) = try WebhookBenchmark.makeCertificate()
            let reloader = try CertificateReloader(certificatePath: certificate, keyPath: key, logger: logger)
            let webhook = try await InProcessService.with(
                databaseURL: databaseURL, name: "bench_tls", maximumConnections: 40, logger: logger, configure: { $0.tls = reloader }
            ) { environment in
                try await WebhookBenchmark(seconds: decisionSeconds, clientCounts: webhookClients).run(
                    baseURL: environment.baseURL, token: environment.token, certificate: certificate, postgres: environment.store.client
                )
            }
            print("")
            print("webhook: POST …/kubernetes/admission (a Deployment CREATE of 3 replicas, allowed and reserved, spread over 8 bound namespaces, one environment each) beside POST …/decisions of the same scale-up, both over TLS (ECDSA P-256, keep-alive), \(String(format: "%.0f", decisionSeconds)) s each")
            print("  path        clients   requests/s        p50        p99   p99 webhook / decisions   goal: p99 < 10 ms at 8")
            for figure in webhook {
                let baseline = webhook.first { $0.path == "decisions" && $0.clients == figure.clients }
                let ratio = figure.path == "webhook" ? baseline.map { String(format: "%.2f", figure.p99 / $0.p99) } ?? "" : ""
                let goal = figure.path == "webhook" && figure.clients == 8 ? (figure.p99 < 10 ? "  ok" : "  OVER") : ""
                print("  \(figure.path.padding(toLength: 10, withPad: " ", startingAt: 0))  \(String(format: "%7d", figure.clients))  \(String(format: "%11.0f", figure.rate))  \(Format.millis(figure.p50))  \(Format.millis(figure.p99))   \(ratio)\(goal)")
            }
            Self.printCPU(webhook)
        }
        let single = try await InProcessService.with(databaseURL: databaseURL, name: "bench", maximumConnections: 40, logger: logger) { environment in
            let startMemory = ProcessMemory.figures()
            var figures = EngineFigures()
            if parts.contains("ingest") {
                figures.ingest = try await Self.ingest(samples: samples, batchSize: batchSize, clients: clients, in: environment, logger: logger)
            }
            if parts.contains("remote-write") {
                let json: IngestBenchmark.Result
                if let measured = figures.ingest {
                    json = measured
                } else {
                    json = try await Self.ingest(samples: samples, batchSize: 2_000, clients: clients, in: environment, logger: logger)
                }
                let remote = try await RemoteWriteBenchmark(samples: samples, clients: clients).run(in: environment, logger: logger)
                print("")
                print("remote write: \(remote.samples) samples of kube_pod_container_resource_requests, 2,000 per request (200 series × 10 scrapes), \(clients) clients, each its own series in time order")
                print("  remote write        \(Format.rate(remote.rate)) samples/s  (\(Format.seconds(remote.seconds)); \(remote.pieces) minutes of usage priced)")
                print("  JSON  POST /usage   \(Format.rate(json.httpRate)) samples/s  (the ingest figure above, same run)")
                print("  raw   COPY          \(Format.rate(json.copyRate)) samples/s")
                let ratio = remote.rate / json.httpRate
                print("  ratio remote write / JSON \(String(format: "%.2f", ratio))   goal ≥ 0.5: \(ratio >= 0.5 ? "ok" : "UNDER");  remote write / COPY \(String(format: "%.2f", remote.rate / json.copyRate))")
            }
            if parts.contains("decide") {
                figures.decisions = try await Self.decide(seconds: decisionSeconds, in: environment, logger: logger)
            }
            if parts.contains("read") {
                print("")
                print("read: one environment, \(readServices) services, \(readDays) days of per-minute cpu usage")
                let read = try await ReadBenchmark(services: readServices, days: readDays, repetitions: 50).run(in: environment, logger: logger) { print($0) }
                print("  seeded \(read.samples) samples through the ingest path at \(Format.rate(read.seedRate)) samples/s")
                for figure in read.figures {
                    print("  \(figure.name.padding(toLength: 7, withPad: " ", startingAt: 0)) service p50 \(Format.millis(figure.service.p50)) p99 \(Format.millis(figure.service.p99))"
                        + " | raw SQL aggregate p50 \(Format.millis(figure.baseline.p50))"
                        + " | raw / service \(String(format: "%.0f", figure.baseline.p50 / figure.service.p50))×"
                        + " | same total: \(figure.matches ? "yes" : "NO")")
                }
            }
            if parts.contains("isolation") {
                print("")
                let benchmark = IsolationBenchmark(services: isolationServices, days: isolationDays, iterations: isolationRounds)
                print("isolation: tenant B (\(isolationServices) services, \(isolationDays) days of 5-minute usage) alone, then beside tenant A with 100× its data, its ingest, and its ingest held to 10× B's by the per-tenant limit")
                let result = try await benchmark.run(in: environment, logger: logger) { print($0) }
                let rate = { (value: Double) in Format.rate(value).trimmingCharacters(in: .whitespaces) }
                print("  B ingests \(rate(result.bIngestRate)) samples/s while measured (\(result.bSamples) samples stored; A \(result.aSamples))")
                print("  + A's ingest: A sent \(rate(result.aOffered)) samples/s, \(rate(result.aAccepted)) accepted")
                print("  + A capped:   A sent \(rate(result.aCappedOffered)) samples/s, \(rate(result.aCappedAccepted)) accepted (per-tenant ingest limit \(rate(result.capRate))/s)")
                print("  B operation   alone p50        p99 | A's data  p50        p99  ratio | + A's ingest  p50        p99  ratio | + A capped    p50        p99  ratio   (goal ≤ 1.5)")
                for operation in result.operations {
                    let ratios = [operation.besideData, operation.beside, operation.besideCapped].map {
                        ($0.p50 / operation.alone.p50, $0.p99 / operation.alone.p99)
                    }
                    func verdict(_ ratio: (Double, Double)) -> String { max(ratio.0, ratio.1) <= 1.5 ? "ok" : "OVER" }
                    print("  \(operation.name.padding(toLength: 10, withPad: " ", startingAt: 0))"
                        + "\(Format.millis(operation.alone.p50))\(Format.millis(operation.alone.p99)) |"
                        + "\(Format.millis(operation.besideData.p50))\(Format.millis(operation.besideData.p99))"
                        + String(format: "  %.2f/%.2f |", ratios[0].0, ratios[0].1)
                        + "    \(Format.millis(operation.beside.p50))\(Format.millis(operation.beside.p99))"
                        + String(format: "  %.2f/%.2f |", ratios[1].0, ratios[1].1)
                        + "    \(Format.millis(operation.besideCapped.p50))\(Format.millis(operation.besideCapped.p99))"
                        + String(format: "  %.2f/%.2f", ratios[2].0, ratios[2].1)
                        + "   data \(verdict(ratios[0])), ingest \(verdict(ratios[1])), capped \(verdict(ratios[2]))")
                }
            }
            if let start = startMemory, let end = ProcessMemory.figures() {
                print("")
                print(String(format: "memory: peak resident %.0f MiB (VmHWM of this process: the service, its connection pool and the load generators); %.0f MiB resident when the service had started", end.peakMiB, start.residentMiB))
            }
            return figures
        }
        guard citus else { return }
        print("")
        print("on Citus: a coordinator and 2 workers on this machine (citus.shard_count 4, durable commits), the schema distributed by migrate")
        let distributed = try await InProcessService.onCitus(name: "bench", maximumConnections: 40, logger: logger) { environment in
            var figures = EngineFigures()
            if parts.contains("ingest") {
                figures.ingest = try await Self.ingest(samples: samples, batchSize: batchSize, clients: clients, in: environment, logger: logger)
            }
            if parts.contains("decide") {
                figures.decisions = try await Self.decide(seconds: decisionSeconds, in: environment, logger: logger)
            }
            return figures
        }
        print("")
        print("Citus beside one PostgreSQL, same run (on one machine the point is the overhead, not a speed-up: the three nodes share its 2 cores)")
        if let one = single.ingest, let many = distributed.ingest {
            print(String(format: "  ingest     HTTP %10.0f vs %10.0f samples/s  Citus / PostgreSQL %.2f;  COPY %10.0f vs %10.0f  %.2f",
                         many.httpRate, one.httpRate, many.httpRate / one.httpRate, many.copyRate, one.copyRate, many.copyRate / one.copyRate))
        }
        if let one = single.decisions, let many = distributed.decisions {
            for figure in many where figure.path == "service" {
                guard let base = one.first(where: { $0.path == "service" && $0.layout == figure.layout && $0.clients == figure.clients }) else { continue }
                print(String(format: "  decide     %@ %2d clients %8.0f vs %8.0f decisions/s  Citus / PostgreSQL %.2f;  p99 %.2f vs %.2f ms",
                             figure.layout.padding(toLength: 6, withPad: " ", startingAt: 0), figure.clients, figure.rate, base.rate, figure.rate / base.rate,
                             figure.p99, base.p99))
            }
        }
    }

    /// What `--citus` compares between the two engines.
    struct EngineFigures: Sendable {
        var ingest: IngestBenchmark.Result?
        var decisions: [DecisionBenchmark.Figure]?
    }

    static func ingest(samples: Int, batchSize: Int, clients: Int, in environment: InProcessService, logger: Logger) async throws -> IngestBenchmark.Result {
        let ingest = try await IngestBenchmark(samples: samples, batchSize: batchSize, clients: clients).run(in: environment, logger: logger)
        print("")
        print("ingest: \(samples) samples, \(batchSize) per request, \(clients) clients")
        print("  HTTP  POST /usage   \(Format.rate(ingest.httpRate)) samples/s  (\(Format.seconds(ingest.httpSeconds)))")
        print("  raw   COPY          \(Format.rate(ingest.copyRate)) samples/s  (\(Format.seconds(ingest.copySeconds)))")
        print("  ratio HTTP / COPY   \(String(format: "%.2f", ingest.ratio))   goal ≥ 0.5: \(ingest.ratio >= 0.5 ? "ok" : "UNDER")")
        return ingest
    }

    static func decide(seconds: Double, in environment: InProcessService, logger: Logger) async throws -> [DecisionBenchmark.Figure] {
        print("")
        print("decisions: POST /decisions (scale-up, allowed and reserved) vs the raw SQL of the same locking transaction")
        let figures = try await DecisionBenchmark(clientCounts: [1, 8, 32], seconds: seconds, environments: 64).run(in: environment, logger: logger)
        print("  layout  clients  path       decisions/s        p50        p99   ratio (service / raw)   goal: ratio ≥ 0.5, p99 < 10 ms at 8 clients")
        for pair in stride(from: 0, to: figures.count, by: 2) {
            let service = figures[pair]
            let raw = figures[pair + 1]
            for figure in [service, raw] {
                var ratio = ""
                if figure.path == "service" {
                    let value = service.rate / raw.rate
                    ratio = String(format: "%.2f", value) + (value >= 0.5 ? "  ok" : "  UNDER")
                    if figure.clients == 8 { ratio += service.p99 < 10 ? ", p99 ok" : ", p99 OVER" }
                }
                print("  \(figure.layout.padding(toLength: 6, withPad: " ", startingAt: 0))  \(String(format: "%7d", figure.clients))  "
                    + "\(figure.path.padding(toLength: 9, withPad: " ", startingAt: 0))  \(String(format: "%11.0f", figure.rate))  "
                    + "\(Format.millis(figure.p50)) \(Format.millis(figure.p99))   \(ratio)")
            }
        }
        return figures
    }
}

enum Format {
    static func rate(_ value: Double) -> String { String(format: "%10.0f", value) }
    static func seconds(_ value: Double) -> String { String(format: "%.2f s", value) }
    static func millis(_ value: Double) -> String { String(format: "%8.2f ms", value) }
}

extension Bench {
    /// CPU per request of each webhook-part figure, and the mean latency it bounds on this machine.
    static func printCPU(_ figures: [WebhookBenchmark.Figure]) {
        let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
        print("  CPU per request (ms): the service (this process less the load generator's event loop), the load generator's event loop, PostgreSQL")
        print("  path        clients    service     client   PostgreSQL   mean latency at least (service + PostgreSQL only, \(Int(cores)) cores)")
        for figure in figures {
            guard let cpu = figure.cpu else { continue }
            // Little's law on a saturated machine: c requests in flight, each costing `cpu` of `cores` CPUs.
            let bound = Double(figure.clients) * (cpu.service + cpu.postgres) / cores
            print("  \(figure.path.padding(toLength: 10, withPad: " ", startingAt: 0))  \(String(format: "%7d", figure.clients))  \(String(format: "%9.3f", cpu.service))  \(String(format: "%9.3f", cpu.client))  \(String(format: "%11.3f", cpu.postgres))   \(String(format: "%.2f", bound)) ms")
        }
    }
}

/// A one-line description of this machine for the benchmark record.
enum Machine {
    static func describe() -> String {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let memory = Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        return "\(cores) cores (\(cpu)), \(String(format: "%.0f", memory)) GiB"
    }
}
