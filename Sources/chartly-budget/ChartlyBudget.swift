import ArgumentParser

@main
struct ChartlyBudget: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chartly-budget",
        abstract: "Chartly Budget: cost guardrails that veto scale-ups by their cost.",
        discussion: """
            Exit codes: 0 success (decide: allow), 1 failure, 3 clamp, 4 deny, 5 some input was rejected, 64 bad command line.
            """,
        subcommands: [Serve.self, Migrate.self, Apply.self, Decide.self, Replay.self, Ingest.self, Status.self, ImportFocus.self, Backtest.self, Token.self, Doctor.self, Bench.self, Simulate.self]
    )
}

/// The process exit codes, documented in the README; scripts rely on them.
enum ExitCodes {
    static let failure = ExitCode(1)
    static let clamped = ExitCode(3)
    static let denied = ExitCode(4)
    static let rejectedInput = ExitCode(5)
    static let checklistFailed = ExitCode(6)
}
