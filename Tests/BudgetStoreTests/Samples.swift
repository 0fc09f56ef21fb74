import BudgetCore

/// Builds samples for tests: one per minute from `base`, numbered by `minute`.
func sample(
    environment: String = "prod",
    service: String = "api",
    resource: Resource = .cpuCores,
    minute: Int64,
    quantity: Double = 2,
    base: Int64 = 1_790_000_000  // 2026-09-21T14:13:20Z, seconds
) -> UsageSample {
    let start = Timestamp(seconds: base + minute * 60)
    return UsageSample(
        environment: environment, service: service, resource: resource, quantity: quantity,
        start: start, end: Timestamp(seconds: base + minute * 60 + 60)
    )
}
