/// A hard limit on an environment (or on one service inside it): period spend, hourly run rate,
/// and optional ceilings on the resources in use.
public struct Cap: Sendable, Hashable, Codable {
    /// How people name it in messages (`exceeded cap prod-monthly: …`).
    public var name: String
    public var environment: String
    /// Nil for the environment's cap; a service name for a service's own cap inside it.
    public var service: String?
    public var enforcement: Enforcement
    /// Spend in the tenant's period must stay at or under this, projected to the period's end.
    public var periodSpend: Money?
    /// Cost per hour (run rate plus reservations plus the increment) must stay at or under this.
    public var hourlyRunRate: Money?
    /// Ceilings on the total resources in use (latest complete hour plus reservations plus the increment).
    public var maximumCPUCores: Double?
    public var maximumMemoryGiB: Double?
    public var maximumReplicas: Int?
    /// Increases with every change; stored with each decision.
    public var version: Int

    public init(
        name: String, environment: String, service: String? = nil, enforcement: Enforcement = .deny,
        periodSpend: Money? = nil, hourlyRunRate: Money? = nil, maximumCPUCores: Double? = nil,
        maximumMemoryGiB: Double? = nil, maximumReplicas: Int? = nil, version: Int = 1
    ) {
        self.name = name
        self.environment = environment
        self.service = service
        self.enforcement = enforcement
        self.periodSpend = periodSpend
        self.hourlyRunRate = hourlyRunRate
        self.maximumCPUCores = maximumCPUCores
        self.maximumMemoryGiB = maximumMemoryGiB
        self.maximumReplicas = maximumReplicas
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case name, environment, service, enforcement, version
        case periodSpend = "period_spend"
        case hourlyRunRate = "hourly_run_rate"
        case maximumCPUCores = "max_cpu_cores"
        case maximumMemoryGiB = "max_memory_gib"
        case maximumReplicas = "max_replicas"
    }
}
