import BudgetTestSupport
import Foundation
import Testing

/// `chartly-budget bench` end to end on small sizes: every part runs against a fresh embedded cluster and prints
/// its figure beside its baseline. (The figures themselves are measured on release builds, see docs/BENCHMARKS.md.)
@Suite("chartly-budget bench: the whole suite on small sizes", .serialized, .timeLimit(.minutes(3)))
struct BenchCommandTests {
    static let small = [
        "bench", "--samples", "2000", "--batch-size", "500", "--clients", "2", "--read-services", "3", "--read-days", "1",
        "--decision-seconds", "0.3", "--isolation-services", "1", "--isolation-days", "1", "--isolation-rounds", "8",
    ]

    @Test("every part prints its figures and baselines; the reads' totals equal the SQL aggregate's")
    func wholeSuite() async throws {
        let run = try await ChartlyBinary.run(Self.small)
        #expect(run.status == 0, "exit \(run.status)\nstdout:\n\(run.stdout)\nstderr:\n\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        // Ingest: HTTP against COPY of the same rows, with the ratio.
        #expect(lines.contains { $0.hasPrefix("  HTTP  POST /usage") })
        #expect(lines.contains { $0.hasPrefix("  raw   COPY") })
        #expect(lines.contains { $0.hasPrefix("  ratio HTTP / COPY") })
        // Decisions: 1, 8 and 32 clients, spread and hot, each service figure beside its raw SQL baseline.
        for layout in ["spread", "hot"] {
            for clients in [1, 8, 32] {
                for path in ["service", "raw SQL"] {
                    let row = lines.first { $0.hasPrefix("  \(layout.padding(toLength: 6, withPad: " ", startingAt: 0))  \(String(format: "%7d", clients))  \(path)") }
                    #expect(row != nil, "no \(layout) \(clients) \(path) row:\n\(run.stdout)")
                }
            }
        }
        // Reads: the service's status and costs agree exactly with the aggregate over the raw samples.
        let reads = lines.filter { $0.contains("| raw SQL aggregate") }
        #expect(reads.count == 2, "\(run.stdout)")
        #expect(reads.first?.hasPrefix("  status") == true && reads.last?.hasPrefix("  costs") == true, "\(reads)")
        #expect(reads.allSatisfy { $0.hasSuffix("same total: yes") }, "\(reads)")
        // Isolation: B's four operations in the four phases, and A's traffic as sent and accepted.
        #expect(lines.contains { $0.hasPrefix("  + A's ingest: A sent") })
        #expect(lines.contains { $0.hasPrefix("  + A capped:") })
        for operation in ["status", "costs", "decision", "ingest"] {
            #expect(lines.contains { $0.hasPrefix("  \(operation.padding(toLength: 10, withPad: " ", startingAt: 0))") && $0.contains("data ") && $0.contains("capped ") })
        }
        #expect(lines.contains { $0.hasPrefix("memory: peak resident") })
    }

    @Test("the webhook part over TLS: both paths at each concurrency, and the CPU each request cost the service and PostgreSQL")
    func webhookPart() async throws {
        let run = try await ChartlyBinary.run(["bench", "--only", "webhook", "--decision-seconds", "0.3", "--webhook-clients", "1", "--webhook-clients", "2"])
        #expect(run.status == 0, "exit \(run.status)\nstdout:\n\(run.stdout)\nstderr:\n\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        guard let header = lines.firstIndex(where: { $0.hasPrefix("  path") && $0.contains("PostgreSQL") }) else {
            Issue.record("no CPU table:\n\(run.stdout)")
            return
        }
        for clients in [1, 2] {
            for path in ["webhook", "decisions"] {
                let prefix = "  \(path.padding(toLength: 10, withPad: " ", startingAt: 0))  \(String(format: "%7d", clients))"
                // requests/s, p50 and p99
                #expect(lines[..<header].contains { $0.hasPrefix(prefix) && $0.contains(" ms ") }, "no \(path) \(clients) latency row:\n\(run.stdout)")
                // clients, then the service, client and PostgreSQL ms per request, then the latency bound: the service
                // and its database both did work.
                let cpu = lines[header...].first { $0.hasPrefix(prefix) }?.split(separator: " ").compactMap { Double($0) }
                #expect(cpu.map { $0.count == 5 && $0[1] > 0 && $0[3] > 0 && $0[4] > 0 } == true, "\(path) \(clients): \(cpu ?? []):\n\(run.stdout)")
            }
        }
    }

    @Test("a CPU burst outside 0–99 ms (of the default 100 ms period) is refused with the option's name")
    func badBurst() async throws {
        let run = try await ChartlyBinary.run(["bench", "--cpu-burst-ms", "100"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("--cpu-burst-ms"))
    }

    @Test("a CPU burst as long as its period, or a period under 1 ms, is refused with the option's name")
    func badBurstPeriod() async throws {
        let tooLong = try await ChartlyBinary.run(["bench", "--cpu-burst-ms", "10", "--cpu-burst-period-ms", "10"])
        #expect(tooLong.status == 64)
        #expect(tooLong.stderr.contains("--cpu-burst-ms must be from 0 to 9"), "\(tooLong.stderr)")
        let noPeriod = try await ChartlyBinary.run(["bench", "--cpu-burst-ms", "1", "--cpu-burst-period-ms", "0"])
        #expect(noPeriod.status == 64)
        #expect(noPeriod.stderr.contains("--cpu-burst-period-ms"), "\(noPeriod.stderr)")
    }
}
