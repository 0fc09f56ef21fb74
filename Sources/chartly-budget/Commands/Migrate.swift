import ArgumentParser
import BudgetStore
import Logging
import ServiceLifecycle

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the SQL migrations the database is missing, then exit.")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = makeLogger("chartly.migrate")
        try await database.withDatabase(logger: logger) { url, _ in
            let store = BudgetStore(url: url, maximumConnections: 2, logger: logger)
            let applied = try await store.whileRunning { try await Migrator(store: store).migrate() }
            print(applied.isEmpty ? "schema is up to date" : "applied: \(applied.joined(separator: ", "))")
        }
    }
}
