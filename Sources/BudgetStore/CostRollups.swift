import BudgetCore

/// The rollup rows one ingest adds to: pieces summed per hour (with resource) and per day (without).
struct CostRollups {
    struct HourKey: Hashable, Comparable {
        var environment: String
        var service: String
        var resource: Resource
        var hour: Timestamp
        var version: Int

        static func < (a: Self, b: Self) -> Bool {
            (a.environment, a.service, a.resource.rawValue, a.hour, a.version) < (b.environment, b.service, b.resource.rawValue, b.hour, b.version)
        }
    }

    struct HourValue {
        var cost: Int64 = 0
        var quantity: Double = 0
        var lastEnd: Timestamp = .epoch
    }

    struct DayKey: Hashable, Comparable {
        var environment: String
        var day: Timestamp
        var service: String
        var version: Int

        static func < (a: Self, b: Self) -> Bool {
            (a.environment, a.day, a.service, a.version) < (b.environment, b.day, b.service, b.version)
        }
    }

    struct EnvironmentHourKey: Hashable, Comparable {
        var environment: String
        var hour: Timestamp

        static func < (a: Self, b: Self) -> Bool { (a.environment, a.hour) < (b.environment, b.hour) }
    }

    struct EnvironmentHourValue {
        var cost: Int64 = 0
        var cpuCoreHours: Double = 0
        var memoryGiBHours: Double = 0
        var replicaHours: Double = 0
    }

    struct EnvironmentDayKey: Hashable, Comparable {
        var environment: String
        var day: Timestamp

        static func < (a: Self, b: Self) -> Bool { (a.environment, a.day) < (b.environment, b.day) }
    }

    private(set) var hourly: [HourKey: HourValue] = [:]
    private(set) var daily: [DayKey: Int64] = [:]
    private(set) var environmentHourly: [EnvironmentHourKey: EnvironmentHourValue] = [:]
    private(set) var environmentDaily: [EnvironmentDayKey: Int64] = [:]

    mutating func add(_ pieces: [CostPiece], of sample: UsageSample) {
        for piece in pieces {
            let version = piece.rateVersion ?? 0
            let hourKey = HourKey(environment: sample.environment, service: sample.service, resource: piece.resource, hour: piece.hour, version: version)
            var value = hourly[hourKey] ?? HourValue()
            value.cost += piece.cost.nanos
            value.quantity += piece.quantity
            value.lastEnd = max(value.lastEnd, piece.end)
            hourly[hourKey] = value
            let dayKey = DayKey(environment: sample.environment, day: piece.hour.startOfDay, service: sample.service, version: version)
            daily[dayKey, default: 0] += piece.cost.nanos
            var environmentHour = environmentHourly[EnvironmentHourKey(environment: sample.environment, hour: piece.hour)] ?? EnvironmentHourValue()
            environmentHour.cost += piece.cost.nanos
            switch piece.resource {
            case .cpuCores: environmentHour.cpuCoreHours += piece.quantity
            case .memoryGiB: environmentHour.memoryGiBHours += piece.quantity
            case .replicas: environmentHour.replicaHours += piece.quantity
            default: break
            }
            environmentHourly[EnvironmentHourKey(environment: sample.environment, hour: piece.hour)] = environmentHour
            environmentDaily[EnvironmentDayKey(environment: sample.environment, day: piece.hour.startOfDay), default: 0] += piece.cost.nanos
        }
    }

    /// Hourly rows in lock order (every writer upserts in this order, so writers never deadlock).
    var sortedHourly: [(key: HourKey, value: HourValue)] { hourly.sorted { $0.key < $1.key } }
    var sortedDaily: [(key: DayKey, value: Int64)] { daily.sorted { $0.key < $1.key } }
    var sortedEnvironmentHourly: [(key: EnvironmentHourKey, value: EnvironmentHourValue)] { environmentHourly.sorted { $0.key < $1.key } }
    var sortedEnvironmentDaily: [(key: EnvironmentDayKey, value: Int64)] { environmentDaily.sorted { $0.key < $1.key } }
}
