import BudgetStore

/// How the HTTP service listens and which limits it enforces; every limit has a documented default.
public struct ServerConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    /// Largest ingest body accepted (413 beyond it).
    public var maximumBodyBytes: Int = 8 * 1024 * 1024
    /// Largest body of any other route (413 beyond it).
    public var maximumControlBodyBytes: Int = 1024 * 1024
    /// Most usage samples in one ingest request (413 beyond it; a remote write over it is 400).
    public var maximumSamplesPerRequest: Int = 10_000
    /// Largest decompressed Prometheus remote-write body (400 beyond it; checked before decompressing).
    public var maximumRemoteWriteBytes: Int = 32 * 1024 * 1024
    /// Ingest requests in flight at once; past it 503 with Retry-After (never an unbounded queue).
    public var maximumConcurrentIngests: Int = 8
    /// Per-tenant sustained ingest, in samples per second, and the samples a tenant may send at once after being
    /// idle (429 with Retry-After while a tenant is over it; a rate of 0 disables). Bounds what one tenant's
    /// traffic takes from the others (docs/BENCHMARKS.md, tenant isolation). The limiter itself, so that a running
    /// service's limit can be changed.
    public var tenantIngest = TenantIngestLimiter(rate: 50_000, burst: 100_000)
    /// Per-token sustained requests per second and burst (429 with Retry-After beyond it); 0 disables.
    public var rateLimitPerSecond: Double = 100
    public var rateLimitBurst: Double = 200
    /// Failed authentications per second allowed from one client address (0 disables the limit), and their burst.
    public var authFailureRate: Double = 2
    public var authFailureBurst: Double = 20
    /// Open HTTP connections at once; further connections wait in the listen backlog.
    public var maximumConnections: Int = 1_024
    /// A connection with no request activity for this long is closed (slow or stalled clients).
    public var idleTimeoutSeconds: Int64 = 60
    /// Whether `/metrics` needs a token (any valid token) like the `/v1` routes.
    public var protectMetrics: Bool = false
    /// How long unconfirmed reservations hold headroom.
    public var decisions = DecisionSettings()
    /// Whether this process runs the background services (alert delivery, alert jobs); tests drive them by hand.
    public var backgroundJobs: Bool = true
    public var alertDelivery = AlertDeliveryService.Settings()
    public var alertJobs = AlertJobsService.Settings()
    /// The bootstrap admin token (`CHARTLY_ADMIN_TOKEN`); nil: only stored tokens authenticate.
    public var bootstrapAdminToken: String?
    /// Serve the whole listener over TLS with this certificate and key (re-read when the files change); nil: HTTP.
    public var tls: CertificateReloader?

    public init(host: String = "127.0.0.1", port: Int = 8080) {
        self.host = host
        self.port = port
    }
}
