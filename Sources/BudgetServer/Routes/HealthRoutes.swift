import BudgetStore
import Foundation
import Hummingbird

/// `/health` (the process answers) and `/ready` (the database answers and is migrated).
struct HealthRoutes {
    let store: BudgetStore
    let expectedMigration: Int

    func register(on routes: RouteRegistry) {
        routes.add(.get, "/health") { _, _ in
            try JSONResponse(["status": "ok"]).response
        }
        routes.add(.get, "/ready") { _, _ in
            do {
                let applied = try await store.appliedMigrationVersion()
                guard let applied, applied >= expectedMigration else {
                    throw APIError(
                        .serviceUnavailable,
                        code: "not_migrated",
                        message: "the database schema is at migration \(applied ?? 0), this service needs \(expectedMigration); run chartly-budget migrate",
                        retryAfter: 5
                    )
                }
                return try JSONResponse(["status": "ready", "migration": "\(applied)"]).response
            } catch let error as StoreError {
                throw APIError(.serviceUnavailable, code: error.code, message: error.message, retryAfter: 5)
            }
        }
    }
}
