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

    func run() async throws {
        var quietLogger = makeLogger("chartly.bench")
        quietLogger.logLevel = .warning
        let logger = quietLogger
        let samples = self.samples, batchSize = self.batchSize, clients = self.clients
        print("chartly-budget bench — \(Machine.describe())")
        try await BenchEnvironment.with(databaseURL: databaseURL, logger: logger) { environment in
            let ingest = try await IngestBenchmark(samples: samples, batchSize: batchSize, clients: clients).run(in: environment, logger: logger)
            print("")
            print("ingest: \(samples) samples, \(batchSize) per request, \(clients) clients")
            print("  HTTP  POST /usage   \(Format.rate(ingest.httpRate)) samples/s  (\(Format.seconds(ingest.httpSeconds)))")
            print("  raw   COPY          \(Format.rate(ingest.copyRate)) samples/s  (\(Format.seconds(ingest.copySeconds)))")
            print("  ratio HTTP / COPY   \(String(format: "%.2f", ingest.ratio))")
        }
    }
}

enum Format {
    static func rate(_ value: Double) -> String { String(format: "%10.0f", value) }
    static func seconds(_ value: Double) -> String { String(format: "%.2f s", value) }
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
