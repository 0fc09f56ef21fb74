import ArgumentParser

@main
struct ChartlyBudget: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chartly-budget",
        abstract: "Chartly Budget: cost guardrails that veto scale-ups by their cost.",
        discussion: """
            Exit codes: 0 success, 1 failure, 5 some input was rejected, 64 bad command line.
            """,
        subcommands: [Serve.self, Migrate.self, Ingest.self, Status.self, ImportFocus.self, Token.self, Bench.self]
    )
}

/// The process exit codes, documented in the README; scripts rely on them.
enum ExitCodes {
    static let failure = ExitCode(1)
    static let rejectedInput = ExitCode(5)
}
