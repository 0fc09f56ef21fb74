import ArgumentParser
import AsyncHTTPClient
import BudgetCore
import Foundation
import NIOCore
import NIOFoundationCompat

struct Ingest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send usage samples from an NDJSON or CSV file to a running server.",
        discussion: """
            CSV files need a header line naming the columns environment, service, resource, quantity, start, end.
            Samples the server already has are counted as duplicates, so running the same file again adds nothing
            (and an interrupted run can simply be started again). Invalid lines are reported with their numbers and skipped.
            Exit code 0 when every line was stored or already present, 5 when some lines were rejected, 1 on failure.
            """
    )

    @Argument(help: "The file to send (.csv, otherwise NDJSON).")
    var file: String

    @Option(help: "The tenant the usage belongs to.")
    var tenant: String

    @OptionGroup var client: ClientOptions

    @Option(help: "Samples per request (at most 10000).")
    var batchSize: Int = 5_000

    @Option(help: "Attempts per batch while the server is unreachable or busy (429/503), with backoff.")
    var maxAttempts: Int = 8

    func validate() throws {
        guard PartitionKey.isValid(tenant) else { throw ValidationError("--tenant must match \(PartitionKey.pattern)") }
        guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and 10000") }
        guard maxAttempts >= 1 else { throw ValidationError("--max-attempts must be at least 1") }
    }

    func run() async throws {
        var reader = try LineReader(path: file)
        var parser = SampleFileReader(path: file)
        let sender = BatchSender(client: client, tenant: tenant, maximumAttempts: maxAttempts)
        var progress = ProgressBar(total: reader.totalBytes)
        var summary = IngestSummary()
        var batch: [(line: Int, sample: UsageSample)] = []
        var lineNumber = 0
        while let text = try reader.next() {
            lineNumber += 1
            guard let line = parser.parse(text, number: lineNumber) else { continue }
            switch line.result {
            case .success(let sample): batch.append((line.number, sample))
            case .failure(let error): summary.reject(line: line.number, error.description)
            }
            if batch.count >= batchSize {
                try await sender.send(batch, into: &summary)
                batch.removeAll(keepingCapacity: true)
                progress.update(done: reader.bytesRead, summary: summary)
            }
        }
        if !batch.isEmpty { try await sender.send(batch, into: &summary) }
        progress.finish(done: reader.bytesRead, summary: summary)
        print(summary.line)
        for reason in summary.reasons.prefix(20) { print("  rejected \(reason)") }
        if summary.reasons.count > 20 { print("  … and \(summary.reasons.count - 20) more") }
        if summary.rejected > 0 { throw ExitCodes.rejectedInput }
    }
}

/// Counts what happened to the file's lines.
struct IngestSummary {
    var accepted = 0
    var duplicates = 0
    var rejected = 0
    var reasons: [String] = []

    mutating func reject(line: Int, _ reason: String) {
        rejected += 1
        reasons.append("line \(line): \(reason)")
    }

    var line: String { "accepted \(accepted), duplicates \(duplicates), rejected \(rejected)" }
}
