import ArgumentParser
import BudgetServer
import BudgetStore
import Foundation

struct Apply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply Budgets/*.yaml (rate cards, caps, budgets, scaling policies, alert routes) in one transaction.",
        discussion: """
            Prints the plan (create / update / delete / unchanged, per object, with the changed fields), then applies
            it in one transaction, audited with your token. Objects of the tenants named in the files that the files
            do not list are deleted (--no-prune keeps them). An invalid file fails with its file, line and field, and
            nothing changes. Exit code 0 applied (or planned with --dry-run), 1 failure.
            """
    )

    @Argument(help: "The directory of YAML files.")
    var directory: String = "Budgets"

    @Flag(help: "Print the plan without changing anything.")
    var dryRun = false

    @Flag(help: "Keep objects the files do not list.")
    var noPrune = false

    @OptionGroup var client: ClientOptions

    struct Body: Encodable {
        var documents: [ConfigDocument]
        var dry_run: Bool
        var prune: Bool
    }

    struct Answer: Decodable {
        var applied: Bool
        var plan: [PlanEntry]
    }

    func run() async throws {
        let documents: [ConfigDocument]
        do {
            documents = try BudgetFiles.load(directory: directory).documents
        } catch let error as BudgetFiles.FileError {
            throw ClientFailure("\(error)")
        }
        let body = try JSONEncoder().encode(Body(documents: documents, dry_run: dryRun, prune: !noPrune))
        let answer = try await APIClient(options: client).call(.POST, "/v1/apply", json: body, as: Answer.self)
        print(PlanText.render(answer.plan))
        print(answer.applied ? "Applied in one transaction." : "Dry run: nothing changed.")
    }
}

/// The plan as people read it.
enum PlanText {
    static func render(_ plan: [PlanEntry]) -> String {
        var lines: [String] = []
        let kindWidth = max(4, plan.map(\.kind.count).max() ?? 0)
        let keyWidth = max(3, plan.map { "\($0.tenant)/\($0.key)".count }.max() ?? 0)
        for entry in plan {
            let symbol: String
            switch entry.action {
            case .create: symbol = "+"
            case .update: symbol = "~"
            case .delete: symbol = "-"
            case .unchanged: symbol = "="
            }
            var line = "\(symbol) \(entry.action.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) "
                + entry.kind.padding(toLength: kindWidth, withPad: " ", startingAt: 0) + "  "
                + "\(entry.tenant)/\(entry.key)".padding(toLength: keyWidth, withPad: " ", startingAt: 0)
            if !entry.changedFields.isEmpty { line += "  changed: \(entry.changedFields.joined(separator: ", "))" }
            if let source = entry.source { line += "  (\(source))" }
            lines.append(line)
        }
        let count = { (action: PlanEntry.Action) in plan.filter { $0.action == action }.count }
        lines.append("Plan: \(count(.create)) to create, \(count(.update)) to update, \(count(.delete)) to delete, \(count(.unchanged)) unchanged.")
        return lines.joined(separator: "\n")
    }
}
