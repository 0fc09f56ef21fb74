import ArgumentParser
import BudgetStore
import PostgresNIO

@main
struct ChartlyBudget: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chartly-budget",
        abstract: "Chartly Budget: cost guardrails that veto scale-ups by their cost.",
        discussion: """
            Exit codes: 0 success (decide: allow), 1 failure, 3 clamp, 4 deny, 5 some input was rejected, 64 bad command line.
            """,
        subcommands: [Serve.self, Migrate.self, Apply.self, Decide.self, Replay.self, Ingest.self, Status.self, ImportFocus.self, ImportPrometheus.self, Backtest.self, Token.self, Doctor.self, Bench.self, Simulate.self, Kubernetes.self]
    )

    /// As ArgumentParser's, but a database error that reaches the top says what the database said (PostgresNIO's
    /// own text for it is deliberately generic).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as PSQLError {
            exit(withError: ClientFailure(describeDatabaseError(error)))
        } catch {
            exit(withError: error)
        }
    }
}

/// The process exit codes, documented in the README; scripts rely on them.
enum ExitCodes {
    static let failure = ExitCode(1)
    static let clamped = ExitCode(3)
    static let denied = ExitCode(4)
    static let rejectedInput = ExitCode(5)
    static let checklistFailed = ExitCode(6)
}
