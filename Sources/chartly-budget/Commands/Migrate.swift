import ArgumentParser
import BudgetStore
import Logging
import ServiceLifecycle

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the SQL migrations the database is missing (and on a Citus coordinator distribute the schema by tenant), then exit.")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = makeLogger("chartly.migrate")
        try await database.withDatabase(logger: logger) { url, _ in
            let store = BudgetStore(url: url, maximumConnections: 2, logger: logger)
            let report = try await store.whileRunning { try await Migrator(store: store).migrateReporting() }
            print(report.applied.isEmpty ? "schema is up to date" : "applied: \(report.applied.joined(separator: ", "))")
            if let citus = report.citus {
                if report.distributed.isEmpty {
                    print("Citus \(citus): the schema is distributed")
                } else {
                    print("Citus \(citus): distributed the schema")
                    for line in report.distributed { print("  \(line)") }
                }
            }
        }
    }
}
