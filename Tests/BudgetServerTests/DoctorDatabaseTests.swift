import BudgetStore
import BudgetTestSupport
import Foundation
import HummingbirdTesting
import Testing

/// `GET …/doctor` says where the data lives: one PostgreSQL, or the Citus layout and the tenant's worker.
@Suite("Doctor: the database the service runs on", .timeLimit(.minutes(10)))
struct DoctorDatabaseTests {
    struct Answer: Decodable {
        struct Check: Decodable {
            var name: String
            var passed: Bool
            var detail: String
        }
        struct Database: Decodable {
            struct Citus: Decodable {
                struct Table: Decodable {
                    var name: String
                    var kind: String
                }
                var version: String
                var workers: [String]
                var tables: [Table]
            }
            var engine: String
            var citus: Citus?
            var tenant_node: String?
        }
        var checks: [Check]
        var database: Database
    }

    @Test("the doctor names the engine; on Citus the version, both workers, the tables' kinds and the tenant's worker", arguments: TestEngine.available)
    func reportsDatabase(engine: TestEngine) async throws {
        try await TestApp.fresh(engine: engine).test { client, _ in
            let response = try await client.send(.get, "/v1/tenants/acme/doctor")
            #expect(response.status == .ok)
            let answer = try JSONDecoder().decode(Answer.self, from: Data(buffer: response.body))
            let check = answer.checks.first { $0.name == "the schema is distributed by tenant on Citus" }
            switch engine {
            case .postgres:
                #expect(answer.database.engine == "postgres")
                #expect(answer.database.citus == nil)
                #expect(check == nil)
            case .citus:
                #expect(answer.database.engine == "citus")
                let citus = try #require(answer.database.citus)
                #expect(citus.workers.count == 2)
                #expect(citus.tables.first { $0.name == "usage_samples" }?.kind == "distributed")
                #expect(citus.tables.first { $0.name == "api_tokens" }?.kind == "reference")
                let node = try #require(answer.database.tenant_node)
                #expect(citus.workers.contains(node))
                #expect(check?.passed == true, "\(String(describing: check))")
                #expect(check?.detail.contains("2 workers") == true)
            }
        }
    }
}
