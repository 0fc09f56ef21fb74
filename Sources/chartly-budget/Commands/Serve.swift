import ArgumentParser
import BudgetCore
import BudgetServer
import BudgetStore
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP service (with an embedded PostgreSQL unless a database is configured).")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port: Int = 8080

    @OptionGroup var limits: LimitOptions

    @Option(help: "Directory of YAML configuration applied at start (default: Budgets/ when it exists). Objects are created or updated, never deleted.")
    var budgets: String?

    @Option(help: "Minutes an unconfirmed reservation holds headroom.")
    var reservationTTLMinutes: Int = 15

    @Option(help: "PEM certificate chain: serve the whole listener over TLS (re-read when the file changes). Needs --tls-key.")
    var tlsCert: String?

    @Option(help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(help: "Log format: json (one object per line) or text. Level from LOG_LEVEL (default info).")
    var logFormat: String = ProcessInfo.processInfo.environment["LOG_FORMAT"] ?? "json"

    func validate() throws {
        guard ["json", "text"].contains(logFormat) else { throw ValidationError("--log-format must be json or text") }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
    }

    /// `CHARTLY_ADMIN_TOKEN`; on the embedded default without it, one generated once and kept under the data directory.
    func bootstrapAdminToken(embedded: Bool, logger: Logger) throws -> String? {
        if let token = ProcessInfo.processInfo.environment["CHARTLY_ADMIN_TOKEN"], !token.isEmpty {
            guard token.count >= 16 else { throw ValidationError("CHARTLY_ADMIN_TOKEN must be at least 16 characters") }
            return token
        }
        guard embedded else {
            logger.warning("CHARTLY_ADMIN_TOKEN is not set: only tokens already stored in the database can authenticate")
            return nil
        }
        let (token, created) = try AdminTokenFile.readOrCreate(directory: database.dataDirectory)
        if created {
            // Written unbuffered: it must reach a log file or pipe even if the process is killed later.
            let text = "Generated the admin token (shown once; kept in \(AdminTokenFile.path(directory: database.dataDirectory)), mode 0600):\n  \(token)\n"
            FileHandle.standardOutput.write(Data(text.utf8))
        } else {
            logger.info("admin token", metadata: ["file": "\(AdminTokenFile.path(directory: database.dataDirectory))"])
        }
        return token
    }

    func run() async throws {
        let level = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        let format = logFormat
        LoggingSystem.bootstrap { label in
            format == "json" ? AnyLogHandler(JSONLogHandler(label: label, level: level)) : AnyLogHandler(StreamLogHandler.standardError(label: label))
        }
        let logger = makeLogger("chartly.serve")
        // Read Budgets/ before anything starts: a broken file stops start-up with its file, line and field.
        let budgetsDirectory = budgets ?? (FileManager.default.fileExists(atPath: "Budgets") ? "Budgets" : nil)
        var desired: DesiredConfiguration?
        if let budgetsDirectory {
            do {
                desired = try BudgetFiles.load(directory: budgetsDirectory).desired
            } catch let error as BudgetFiles.FileError {
                throw ClientFailure("\(error)")
            }
        }
        let desiredBudgets = desired
        var tls: CertificateReloader?
        if let tlsCert, let tlsKey {
            do {
                tls = try CertificateReloader(certificatePath: tlsCert, keyPath: tlsKey, logger: makeLogger("chartly.tls"))
            } catch {
                throw ClientFailure("\(error)")
            }
        }
        try await database.withDatabase(logger: logger) { url, embedded in
            if embedded { logger.info("using the embedded PostgreSQL", metadata: ["url": "\(url)"]) }
            let store = BudgetStore(url: url, maximumConnections: 40, logger: logger)
            let migrator = try Migrator(store: store)
            var configuration = limits.apply(to: ServerConfiguration(host: host, port: port))
            configuration.bootstrapAdminToken = try bootstrapAdminToken(embedded: embedded, logger: logger)
            configuration.tls = tls
            configuration.decisions = DecisionSettings(reservationTTL: .minutes(Int64(reservationTTLMinutes)))
            // The background jobs start once the schema is migrated.
            let migrated = StartGate()
            var app = buildApplication(
                configuration: configuration,
                store: store,
                expectedMigration: migrator.latestVersion,
                jobsStartAfter: migrated,
                logger: logger
            )
            app.beforeServerStarts {
                let applied = try await migrator.migrate()
                migrated.open()
                if !applied.isEmpty { logger.info("migrated", metadata: ["applied": "\(applied.joined(separator: ", "))"]) }
                if let desired = desiredBudgets, let budgetsDirectory {
                    let actor = Principal(id: "budgets-dir", name: "serve --budgets \(budgetsDirectory)", scopes: [.admin])
                    let plan = try await store.apply(desired, actor: actor, dryRun: false, prune: false, now: Timestamp.now())
                    let changed = plan.filter { $0.action != .unchanged }
                    ConfigChangeLog.log(logger, plan: plan, actor: actor.id)
                    logger.info("applied \(budgetsDirectory)", metadata: ["changed": "\(changed.count)", "unchanged": "\(plan.count - changed.count)"])
                }
            }
            try await app.runService()
        }
    }
}
