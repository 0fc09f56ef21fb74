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
    @Test("while the tenant's generation holds, the replica's copy is used; any configuration write ends it")
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

    @Test("a tenant configured before migration 018 gets a generation from it; one without configuration has none")
    func migrationGivesExistingTenantsAGeneration() async throws {
        let url = try await TestDatabase.makeEmpty()
        let store = BudgetStore(url: url, maximumConnections: 2, acquireTimeout: TestDatabase.acquireTimeout, logger: TestDatabase.testLogger)
        try await store.whileRunning {
            let all = try BudgetSchema.migrations()
            _ = try await Migrator(store: store, migrations: all.filter { $0.version < 18 }).migrate()
            try await S.prepare(store)
            _ = try await Migrator(store: store, migrations: all).migrate()
            #expect(try await store.count("SELECT count(*) FROM config_generations WHERE tenant_id = 'acme' AND generation > 0") == 1)
            #expect(try await store.count("SELECT count(*) FROM config_generations WHERE tenant_id <> 'acme'") == 0)
            let decision = try await store.decide(tenant: "acme", request: S.request("r1", to: 3), now: S.now)
            #expect(decision.snapshot.caps.count == 1)
            #expect(store.decisionConfigs.entry(for: Self.key) != nil)
        }
    }
}
