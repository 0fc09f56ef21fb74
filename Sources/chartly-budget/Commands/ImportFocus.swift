import ArgumentParser
import BudgetCore
import Crypto
import Foundation

struct ImportFocus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-focus",
        abstract: "Import a FinOps FOCUS 1.0 billing export (CSV) as billed cost, beside the estimate.",
        discussion: """
            Environment and service come from the Tags keys (--environment-tag, --service-tag); rows without the
            service tag use ServiceName. Importing the same file again adds nothing. Bad rows are reported with their
            line numbers (exit code 5); the rest is imported.
            """
    )

    @Argument(help: "The FOCUS CSV file.")
    var file: String

    @Option(help: "The tenant the bill belongs to.")
    var tenant: String

    @Option(help: "The Tags key holding the environment.")
    var environmentTag = "environment"

    @Option(help: "The Tags key holding the service.")
    var serviceTag = "application"

    @OptionGroup var client: ClientOptions

    struct Row: Encodable {
        var key: String
        var cost: BilledCost

        func encode(to encoder: any Encoder) throws {
            try cost.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(key, forKey: .key)
        }

        enum Key: String, CodingKey { case key = "row_key" }
    }

    struct Counts: Decodable {
        var accepted: Int
        var duplicates: Int
    }

    func run() async throws {
        guard PartitionKey.isValid(tenant) else { throw ValidationError("--tenant must match \(PartitionKey.pattern)") }
        var lines = try LineReader(path: file)
        guard let header = try lines.next() else { throw ClientFailure("\(file) is empty") }
        let reader: FocusReader
        do {
            reader = try FocusReader(header: header, mapping: .init(environmentTag: environmentTag, serviceTag: serviceTag))
        } catch {
            throw ClientFailure("\(file): \(error.message)")
        }
        var summary = IngestSummary()
        var batch: [Row] = []
        var occurrences: [String: Int] = [:]
        var billed: [String: Int64] = [:]
        var number = 1
        let api = APIClient(options: client)
        while let line = try lines.next() {
            number += 1
            guard !line.allSatisfy({ $0 == " " || $0 == "\r" }) else { continue }
            switch reader.record(line, number: number) {
            case .failure(let error):
                summary.reject(line: number, error.message)
            case .success(let cost):
                // The key is the line's content (and its repeat count, for identical lines): re-imports match it.
                let text = String(line)
                let occurrence = occurrences[text, default: 0]
                occurrences[text] = occurrence + 1
                let digest = SHA256.hash(data: Data("\(occurrence)\u{1F}\(text)".utf8)).map { String(format: "%02x", $0) }.joined()
                batch.append(Row(key: digest, cost: cost))
                billed[cost.currency.code, default: 0] += cost.billedCost.nanos
            }
            if batch.count == 2_000 {
                try await send(batch, api: api, into: &summary)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { try await send(batch, api: api, into: &summary) }
        print("\(summary.line)")
        for (currency, nanos) in billed.sorted(by: { $0.key < $1.key }) {
            print("  billed cost in the file: \(Money(nanos: nanos).decimalString) \(currency)")
        }
        for reason in summary.reasons.prefix(20) { print("  rejected \(reason)") }
        if summary.rejected > 0 { throw ExitCodes.rejectedInput }
    }

    private func send(_ batch: [Row], api: APIClient, into summary: inout IngestSummary) async throws {
        struct Body: Encodable { var records: [Row] }
        let counts = try await api.call(.POST, "/v1/tenants/\(tenant)/billed-costs", json: try JSONEncoder().encode(Body(records: batch)), as: Counts.self)
        summary.accepted += counts.accepted
        summary.duplicates += counts.duplicates
    }
}
