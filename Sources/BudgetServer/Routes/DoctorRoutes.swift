import AsyncHTTPClient
import BudgetCore
import BudgetStore
import Foundation
import Hummingbird
import NIOCore

/// `GET …/doctor`: the scaling contract's operator checklist against the tenant's live configuration, with
/// every alert route probed from the service itself (where alerts are sent from).
struct DoctorRoutes {
    let store: BudgetStore
    var probeTimeout: TimeAmount = .seconds(5)

    struct Answer: Encodable {
        var tenant: String
        var passed: Bool
        var checks: [OperatorChecklist.Check]
        /// Where the data lives: `{"engine": "postgres"}`, or the Citus layout and the tenant's worker.
        var database: Database
    }

    struct Database: Encodable {
        var engine: String
        var citus: CitusLayout?
        /// The worker holding the tenant's shards (`host:port`), on Citus.
        var tenantNode: String?

        enum CodingKeys: String, CodingKey {
            case engine, citus
            case tenantNode = "tenant_node"
        }
    }

    func register(on routes: RouteRegistry) {
        routes.add(.get, "/v1/tenants/{tenant}/doctor") { _, context in
            let tenant = try context.tenant()
            _ = try context.require(.read, on: tenant)
            let now = Timestamp.now()
            let routesConfigured = try await store.configs(AlertRoute.self, tenant: tenant)
            // All at once, so the answer takes one probe timeout however many routes the tenant has.
            let timeout = probeTimeout
            let probes: [(name: String, failure: String?)] = await withTaskGroup(of: (Int, String?).self) { group in
                for (index, route) in routesConfigured.enumerated() {
                    group.addTask { (index, await Self.probe(route, timeout: timeout)) }
                }
                var failures = [String?](repeating: nil, count: routesConfigured.count)
                for await (index, failure) in group { failures[index] = failure }
                return zip(routesConfigured, failures).map { ($0.name, $1) }
            }
            let inputs = OperatorChecklist.Inputs(
                tenant: tenant,
                environments: try await store.environmentNames(tenant: tenant),
                policies: try await store.configs(ScalingPolicy.self, tenant: tenant),
                caps: try await store.configs(Cap.self, tenant: tenant),
                servicesWithoutPolicy: try await store.servicesWithoutPolicy(tenant: tenant, since: now - .days(7)),
                routeProbes: probes,
                retention: try await store.retention(tenant: tenant),
                retentionLastRun: try await store.maintenanceLastRun(job: "retention"),
                now: now
            )
            var checks = OperatorChecklist.evaluate(inputs)
            let layout = try await store.citusLayout()
            var database = Database(engine: "postgres")
            if let layout {
                database = Database(engine: "citus", citus: layout, tenantNode: try await store.citusNode(tenant: tenant))
                checks.append(Self.distributionCheck(layout))
            }
            return try JSONResponse(Answer(tenant: tenant, passed: checks.allSatisfy(\.passed), checks: checks, database: database)).response
        }
    }

    /// On Citus: every tenant-keyed table is distributed by tenant, in one co-location group, over the workers.
    static func distributionCheck(_ layout: CitusLayout) -> OperatorChecklist.Check {
        let name = "the schema is distributed by tenant on Citus"
        let missing = layout.undistributedTenantTables
        if !missing.isEmpty {
            return .init(name: name, passed: false, detail: "not distributed: \(missing.joined(separator: ", ")); run chartly-budget migrate on the coordinator")
        }
        guard layout.colocated else { return .init(name: name, passed: false, detail: "the distributed tables are in more than one co-location group") }
        let distributed = layout.tables.filter { $0.kind == "distributed" }.count
        let reference = layout.tables.filter { $0.kind == "reference" }.count
        return .init(
            name: name, passed: true,
            detail: "Citus \(layout.version), \(layout.workers.count) workers; \(distributed) tables distributed by tenant_id and co-located, \(reference) reference tables"
        )
    }

    /// Nil when the route answered; otherwise why not. An Alertmanager is asked `GET /-/ready`; a webhook
    /// receives a signed `{"event": "test"}` it should answer with 2xx (and need not act on).
    static func probe(_ route: AlertRoute, timeout: TimeAmount) async -> String? {
        do {
            var request: HTTPClientRequest
            switch route.format {
            case .alertmanager:
                request = HTTPClientRequest(url: (route.url.hasSuffix("/") ? String(route.url.dropLast()) : route.url) + "/-/ready")
                request.method = .GET
            case .chartly:
                request = HTTPClientRequest(url: route.url)
                request.method = .POST
                let body = Data(#"{"event":"test","route":"\#(route.name)"}"#.utf8)
                request.headers.add(name: "Content-Type", value: "application/json")
                request.headers.add(name: "X-Chartly-Event", value: "test")
                if let secret = route.secret {
                    request.headers.add(name: "X-Chartly-Signature", value: WebhookSignature.header(secret: secret, timestamp: Timestamp.now().seconds, body: body))
                }
                request.body = .bytes(ByteBuffer(data: body))
            }
            request.headers.add(name: "User-Agent", value: "chartly-budget doctor")
            let response = try await HTTPClient.shared.execute(request, timeout: timeout)
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return (200..<300).contains(response.status.code) ? nil : "\(route.url) answered \(response.status.code)"
        } catch {
            return "\(route.url) did not answer: \(error)"
        }
    }
}
