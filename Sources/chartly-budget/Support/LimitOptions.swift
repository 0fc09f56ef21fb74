import ArgumentParser
import BudgetServer

/// The service's limits, each with the default documented in the README.
struct LimitOptions: ParsableArguments {
    @Option(help: "Per-token requests per second (0 disables the limit).")
    var rateLimit: Double = 100

    @Option(help: "Per-token burst size.")
    var rateBurst: Double = 200

    @Option(help: "Failed authentications per second from one client address (0 disables the limit); over it, 429 with Retry-After.")
    var authFailureRate: Double = 2

    @Option(help: "Failed authentications one address may make at once.")
    var authFailureBurst: Double = 20

    @Option(help: "Per-tenant ingest in samples per second (0 disables the limit); over it, 429 with Retry-After. A tenant's own limit (PUT …/settings) replaces it for that tenant.")
    var tenantIngestRate: Double = 50_000

    @Option(help: "Samples a tenant may send at once after being idle.")
    var tenantIngestBurst: Double = 100_000

    @Option(help: "Ingest requests in flight at once; more get 503 with Retry-After.")
    var maxConcurrentIngests: Int = 8

    @Option(help: "Largest ingest body in bytes.")
    var maxBodyBytes: Int = 8 * 1024 * 1024

    @Option(help: "Open HTTP connections at once.")
    var maxConnections: Int = 1_024

    @Option(help: "Seconds before an idle connection is closed.")
    var idleTimeout: Int64 = 60

    @Flag(help: "Require a token on /metrics.")
    var protectMetrics = false

    func apply(to configuration: ServerConfiguration) -> ServerConfiguration {
        var configuration = configuration
        configuration.rateLimitPerSecond = rateLimit
        configuration.rateLimitBurst = rateBurst
        configuration.authFailureRate = authFailureRate
        configuration.authFailureBurst = authFailureBurst
        configuration.tenantIngest = TenantIngestLimiter(rate: tenantIngestRate, burst: tenantIngestBurst)
        configuration.maximumConcurrentIngests = maxConcurrentIngests
        configuration.maximumBodyBytes = maxBodyBytes
        configuration.maximumConnections = maxConnections
        configuration.idleTimeoutSeconds = idleTimeout
        configuration.protectMetrics = protectMetrics
        return configuration
    }

    func validate() throws {
        guard rateLimit >= 0, rateBurst >= 1 else { throw ValidationError("--rate-limit must be ≥ 0 and --rate-burst ≥ 1") }
        guard authFailureRate >= 0, authFailureBurst >= 1 else {
            throw ValidationError("--auth-failure-rate must be ≥ 0 and --auth-failure-burst ≥ 1")
        }
        guard tenantIngestRate >= 0, tenantIngestBurst >= 1 else {
            throw ValidationError("--tenant-ingest-rate must be ≥ 0 and --tenant-ingest-burst ≥ 1")
        }
        guard maxConcurrentIngests >= 1, maxConnections >= 1, idleTimeout >= 1 else {
            throw ValidationError("--max-concurrent-ingests, --max-connections and --idle-timeout must be at least 1")
        }
        guard maxBodyBytes >= 1024 else { throw ValidationError("--max-body-bytes must be at least 1024") }
    }
}
