import BudgetStore
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import ServiceLifecycle

/// Builds the whole service: the router with every route, and the store as a service of the application.
///
/// `serve` and the tests call this same function.
public func buildApplication(
    configuration: ServerConfiguration,
    store: BudgetStore,
    expectedMigration: Int,
    metrics: BudgetMetrics = BudgetMetrics(),
    jobsStartAfter gate: StartGate = StartGate(open: true),
    logger: Logger
) -> Application<RouterResponder<BudgetRequestContext>> {
    let router = buildRouter(configuration: configuration, store: store, expectedMigration: expectedMigration, metrics: metrics).router
    let http1 = HTTPServerBuilder.http1(configuration: .init(idleTimeout: .seconds(configuration.idleTimeoutSeconds)))
    var server = http1
    if let tls = configuration.tls {
        // The reloader built a context from this configuration already: it cannot fail here, and must never
        // fall back to plain HTTP.
        do { server = try HTTPServerBuilder.tls(http1, tlsConfiguration: tls.serverConfiguration()) } catch { fatalError("TLS: \(error)") }
    }
    var app = Application(
        router: router,
        server: server,
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "chartly-budget",
            availableConnectionsDelegate: MaximumAvailableConnections(configuration.maximumConnections)
        ),
        logger: logger
    )
    app.addServices(store)
    // Not a background job: without it a replica would ignore the tenants' own ingest limits.
    app.addServices(StartsAfter(gate: gate, service: TenantIngestLimitsService(store: store, limiter: configuration.tenantIngest, logger: logger)))
    if configuration.backgroundJobs {
        let jobs: [any Service] = [
            AlertDeliveryService(store: store, settings: configuration.alertDelivery, logger: logger),
            AlertJobsService(store: store, settings: configuration.alertJobs, logger: logger),
            MetricsService(store: store, metrics: metrics, logger: logger),
            MaintenanceService(store: store, logger: logger),
        ]
        for job in jobs { app.addServices(StartsAfter(gate: gate, service: job)) }
    }
    return app
}

/// The router alone, and the list of routes it serves (which the OpenAPI test compares with the document).
public func buildRouter(
    configuration: ServerConfiguration,
    store: BudgetStore,
    expectedMigration: Int,
    metrics: BudgetMetrics = BudgetMetrics()
) -> (router: Router<BudgetRequestContext>, routes: [RouteDescription]) {
    let router = Router(context: BudgetRequestContext.self)
    router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
    router.add(middleware: ErrorMiddleware())
    let authenticator = Authenticator(store: store, bootstrapAdminToken: configuration.bootstrapAdminToken)
    let rateLimiter = RateLimiter(
        perToken: .init(rate: configuration.rateLimitPerSecond, burst: configuration.rateLimitBurst),
        failures: .init(rate: configuration.authFailureRate, burst: configuration.authFailureBurst)
    )
    router.add(middleware: AuthMiddleware(authenticator: authenticator, rateLimiter: rateLimiter, protectMetrics: configuration.protectMetrics))
    let registry = RouteRegistry(router: router)
    HealthRoutes(store: store, expectedMigration: expectedMigration).register(on: registry)
    OpenAPIRoutes().register(on: registry)
    MetricsRoutes(metrics: metrics).register(on: registry)
    let ingestLimiter = ConcurrencyLimiter(limit: configuration.maximumConcurrentIngests)
    UsageRoutes(store: store, configuration: configuration, limiter: ingestLimiter, tenantLimiter: configuration.tenantIngest, metrics: metrics)
        .register(on: registry)
    PrometheusRoutes(store: store, configuration: configuration, limiter: ingestLimiter, tenantLimiter: configuration.tenantIngest, metrics: metrics)
        .register(on: registry)
    RateCardRoutes(store: store).register(on: registry)
    SettingsRoutes(store: store, tenantIngest: configuration.tenantIngest).register(on: registry)
    CostRoutes(store: store, anomaly: configuration.alertJobs.anomaly).register(on: registry)
    BilledCostRoutes(store: store, configuration: configuration).register(on: registry)
    ConfigRoutes(store: store).register(on: registry)
    ApplyRoutes(store: store).register(on: registry)
    AlertRoutes(store: store).register(on: registry)
    DecisionRoutes(store: store, settings: configuration.decisions, metrics: metrics).register(on: registry)
    AdmissionRoutes(store: store, settings: configuration.decisions, metrics: metrics).register(on: registry)
    TokenRoutes(store: store).register(on: registry)
    TenantRoutes(store: store).register(on: registry)
    AuditRoutes(store: store).register(on: registry)
    DoctorRoutes(store: store).register(on: registry)
    DashboardRoutes(store: store, authenticator: authenticator, rateLimiter: rateLimiter).register(on: registry)
    // Last, so it wraps only the not-found answer.
    router.add(middleware: MethodNotAllowedMiddleware(routes: registry.routes))
    return (router, registry.routes)
}

/// The OpenAPI document the service serves.
public var openAPIDocument: String { OpenAPIRoutes.document
}
