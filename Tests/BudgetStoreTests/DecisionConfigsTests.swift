import BudgetCore
import BudgetSchema
@testable import BudgetStore
import BudgetTestSupport
import PostgresNIO
import Testing

/// A replica keeps the configuration its decisions read, by the tenant's configuration generation (migration
/// 018): it must never decide on a configuration that changed since.
@Suite("Decisions read the configuration again only when it changed", .timeLimit(.minutes(2)))
struct DecisionConfigsTests {
    typealias S = DecisionSetup

    static let key = DecisionConfigs.Key(tenant: "acme", environment: "prod", service: "api")

    static func sql(_ store: BudgetStore, _ query: PostgresQuery) async throws {
        let logger = TestDatabase.testLogger
        try await store.client.withConnection { connection in
            try await connection.perform(query, logger: logger)
        }
    }

    @Test("a change by another replica, through the API or by hand in SQL, reaches this replica's next decision")
    func changesReachTheNextDecision() async throws {
        try await S.withTwoStores { first, second in
            try await S.prepare(first, hourlyCap: "10.00")
            let allowed = try await first.decide(tenant: "acme", request: S.request("r1", to: 3), now: S.now)
            #expect(allowed.result.outcome == .allow)
            let read = try #require(first.decisionConfigs.entry(for: Self.key))
            #expect(read.caps.map(\.hourlyRunRate) == [Money(decimalString: "10.00")!])

            // Another replica lowers the cap: 0.10 per replica-hour, so 2 → 10 replicas (0.80 more) is clamped.
            _ = try await second.putConfig(
                tenant: "acme", Cap(name: "prod-cap", environment: "prod", hourlyRunRate: Money(decimalString: "0.50")!), actor: S.actor
            )
            let clamped = try await first.decide(tenant: "acme", request: S.request("r2", to: 10), now: S.now)
            #expect(clamped.snapshot.caps.map(\.hourlyRunRate) == [Money(decimalString: "0.50")!])
            #expect(clamped.result.outcome != .allow)
            #expect(try #require(first.decisionConfigs.entry(for: Self.key)).generation != read.generation)

            // By hand: the price doubles, then the cap goes.
            try await Self.sql(second, "UPDATE rate_card_prices SET price_picos = price_picos * 2 WHERE tenant_id = 'acme'")
            let repriced = try await first.decide(tenant: "acme", request: S.request("r3", service: "api", from: 1, to: 2), now: S.now)
            #expect(repriced.snapshot.rateCard?.prices[.cpuCores] == Price(decimalString: "0.10"))
            try await Self.sql(second, "DELETE FROM caps WHERE tenant_id = 'acme'")
            let uncapped = try await first.decide(tenant: "acme", request: S.request("r4", to: 10), now: S.now)
            #expect(uncapped.snapshot.caps.isEmpty)
            #expect(uncapped.result.outcome == .allow)
            for decision in [allowed, clamped, repriced, uncapped] { #expect(try decision.replay().identical) }
        }
    }

    /// The copy is what the decision uses while the generation holds — shown by planting a copy that differs
    /// from the database — and any write to the tenant's configuration ends it.
    @Test("while the tenant's generation and the server hold, the replica's copy is used; any configuration write ends it")
    func copyUsedUntilAnyWrite() async throws {
        try await TestDatabase.withStore { store in
            try await S.prepare(store)
            _ = try await store.decide(tenant: "acme", request: S.request("r1", to: 3), now: S.now)
            var planted = try #require(store.decisionConfigs.entry(for: Self.key))
            planted.policy?.maximumReplicas = 4
            store.decisionConfigs.store(planted, for: Self.key)
            let fromCopy = try await store.decide(tenant: "acme", request: S.request("r2", to: 10), now: S.now)
            #expect(fromCopy.snapshot.policy?.maximumReplicas == 4)
            #expect(fromCopy.result.allowedReplicas == 4)

            // A failover to a standby that missed the last commits, or a restore, can give a generation again:
            // a copy read under another server start is not used, even with the generation the database reports.
            var otherServer = planted
            otherServer.serverStart = otherServer.serverStart - .seconds(3600)
            store.decisionConfigs.store(otherServer, for: Self.key)
            let afterFailover = try await store.decide(tenant: "acme", request: S.request("r2b", to: 10), now: S.now)
            #expect(afterFailover.snapshot.policy?.maximumReplicas == 1000)
            #expect(try #require(store.decisionConfigs.entry(for: Self.key)).serverStart == planted.serverStart)
            store.decisionConfigs.store(planted, for: Self.key)

            // A write to another service's policy is a new generation for the whole tenant.
            _ = try await store.putConfig(
                tenant: "acme",
                ScalingPolicy(environment: "prod", service: "web", minimumReplicas: 1, maximumReplicas: 50, scaleUp: .init(cooldownSeconds: 0)),
                actor: S.actor
            )
            let fromDatabase = try await store.decide(tenant: "acme", request: S.request("r3", to: 10), now: S.now)
            #expect(fromDatabase.snapshot.policy?.maximumReplicas == 1000)
            #expect(fromDatabase.result.allowedReplicas == 10)
        }
    }

    /// The generation triggers lock the tenant's row until commit. A writer that locked a policy first and then
    /// waited for that row, held by an `apply` that would lock the same policy next, deadlocked with it.
    @Test("a configuration writer takes the tenant's generation first: it waits there, holding no row an apply could need next")
    func writersTakeTheGenerationFirst() async throws {
        let url = try await TestDatabase.make()
        let store = BudgetStore(url: url, maximumConnections: 2, acquireTimeout: TestDatabase.acquireTimeout, logger: TestDatabase.testLogger)
        let hand = BudgetStore(url: url, maximumConnections: 3, acquireTimeout: TestDatabase.acquireTimeout, logger: TestDatabase.testLogger)
        let logger = TestDatabase.testLogger
        try await store.whileRunning {
            try await hand.whileRunning {
                try await S.prepare(store)
                // A transaction in the middle of its writes (an apply, here by hand) wrote a cap: its trigger holds
                // acme's generation row until it commits.
                let (release, releaseSignal) = AsyncStream<Void>.makeStream()
                let (held, heldSignal) = AsyncStream<Void>.makeStream()
                let holder = Task {
                    try await hand.client.withConnection { connection in
                        try await connection.perform("BEGIN", logger: logger)
                        try await connection.perform("UPDATE caps SET updated_at = now() WHERE tenant_id = 'acme'", logger: logger)
                        heldSignal.yield()
                        for await _ in release { break }
                        try await connection.perform("COMMIT", logger: logger)
                    }
                }
                for await _ in held { break }
                let put = Task {
                    try await store.putConfig(
                        tenant: "acme",
                        ScalingPolicy(environment: "prod", service: "web", minimumReplicas: 1, maximumReplicas: 60, scaleUp: .init(cooldownSeconds: 0)),
                        actor: S.actor
                    )
                }
                #expect(try await Waiting.eventually {
                    try await hand.count(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    ) == 1
                })
                // The waiting put holds no policy row: the holder could take web's next, as an apply would.
                try await hand.client.withConnection { connection in
                    try await connection.perform("BEGIN", logger: logger)
                    try await connection.perform(
                        "SELECT 1 FROM scaling_policies WHERE tenant_id = 'acme' AND environment = 'prod' AND service = 'web' FOR UPDATE NOWAIT",
                        logger: logger
                    )
                    try await connection.perform("COMMIT", logger: logger)
                }
                releaseSignal.finish()
                try await holder.value
                #expect(try await put.value.object.maximumReplicas == 60)
            }
        }
    }

    @Test("a tenant configured before migration 018 gets a generation from it; every later migration renews it")
    func migrationGivesExistingTenantsAGeneration() async throws {
        try await TestDatabase.withEmptyStore { store in
            let all = try BudgetSchema.migrations()
            _ = try await Migrator(store: store, migrations: all.filter { $0.version < 18 }).migrate()
            // Written as a replica of the version before 18 did: the cap's row only.
            let cap = try ConfigJSON.encode(Cap(name: "prod-cap", environment: "prod", hourlyRunRate: Money(decimalString: "10.00")!))
            try await Self.sql(
                store, "INSERT INTO caps (tenant_id, environment, service, name, spec) VALUES ('acme', 'prod', '', 'prod-cap', \(cap)::jsonb)"
            )
            _ = try await Migrator(store: store, migrations: all).migrate()
            #expect(try await store.count("SELECT count(*) FROM config_generations WHERE tenant_id = 'acme' AND generation > 0") == 1)
            #expect(try await store.count("SELECT count(*) FROM config_generations WHERE tenant_id <> 'acme'") == 0)
            let decision = try await store.decide(tenant: "acme", request: S.request("r1", to: 3), now: S.now)
            #expect(decision.snapshot.caps.count == 1)
            #expect(store.decisionConfigs.entry(for: Self.key) != nil)

            // A later migration that changes configuration where no trigger sees it (triggers disabled, as a
            // table swap or a restore would): applying any migration renews every tenant's generation.
            let later = BudgetSchema.Migration(
                version: 999, name: "999_test_silent_cap_change.sql",
                sql: """
                    ALTER TABLE caps DISABLE TRIGGER caps_generation;
                    DELETE FROM caps WHERE tenant_id = 'acme';
                    ALTER TABLE caps ENABLE TRIGGER caps_generation;
                    """
            )
            _ = try await Migrator(store: store, migrations: all + [later]).migrate()
            let afterMigration = try await store.decide(tenant: "acme", request: S.request("r2", to: 4), now: S.now)
            #expect(afterMigration.snapshot.caps.isEmpty)
        }
    }
}
