/// How one service may scale, from the scaling contract: bounds, steps, cooldowns, the scale-down
/// safety window and the signals allowed to trigger scaling.
public struct ScalingPolicy: Sendable, Hashable, Codable {
    public var environment: String
    public var service: String
    public var minimumReplicas: Int
    public var maximumReplicas: Int
    public var scaleUp: ScaleUp
    public var scaleDown: ScaleDown
    /// Signals that may trigger a scaling action (see `Signal`). Error rate or a latency percentile alone never may.
    public var allowedSignals: [String]
    public var version: Int

    /// Like HPA's `behavior.scaleUp`: the largest of the absolute and percent step is allowed.
    public struct ScaleUp: Sendable, Hashable, Codable {
        /// Most replicas added by one decision.
        public var maximumStepReplicas: Int?
        /// Most replicas added by one decision, as a percent of the current count.
        public var maximumStepPercent: Int?
        /// Length of the rolling window for the window limits below.
        public var windowSeconds: Int?
        public var windowReplicas: Int?
        public var windowPercent: Int?
        /// No scale-up within this long after the last one.
        public var cooldownSeconds: Int

        public init(
            maximumStepReplicas: Int? = nil, maximumStepPercent: Int? = nil, windowSeconds: Int? = nil,
            windowReplicas: Int? = nil, windowPercent: Int? = nil, cooldownSeconds: Int = 60
        ) {
            self.maximumStepReplicas = maximumStepReplicas
            self.maximumStepPercent = maximumStepPercent
            self.windowSeconds = windowSeconds
            self.windowReplicas = windowReplicas
            self.windowPercent = windowPercent
            self.cooldownSeconds = cooldownSeconds
        }

        enum CodingKeys: String, CodingKey {
            case maximumStepReplicas = "max_step_replicas"
            case maximumStepPercent = "max_step_percent"
            case windowSeconds = "window_seconds"
            case windowReplicas = "window_replicas"
            case windowPercent = "window_percent"
            case cooldownSeconds = "cooldown_seconds"
        }

        /// Fields left out (or null) take their defaults, as documented.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                maximumStepReplicas: try container.decodeIfPresent(Int.self, forKey: .maximumStepReplicas),
                maximumStepPercent: try container.decodeIfPresent(Int.self, forKey: .maximumStepPercent),
                windowSeconds: try container.decodeIfPresent(Int.self, forKey: .windowSeconds),
                windowReplicas: try container.decodeIfPresent(Int.self, forKey: .windowReplicas),
                windowPercent: try container.decodeIfPresent(Int.self, forKey: .windowPercent),
                cooldownSeconds: try container.decodeIfPresent(Int.self, forKey: .cooldownSeconds) ?? 60
            )
        }
    }

    /// Scale-down happens only when every condition held for the whole safety window.
    public struct ScaleDown: Sendable, Hashable, Codable {
        /// No scale-down within this long after the last one.
        public var cooldownSeconds: Int
        /// How long the conditions must have held (and no scale-up happened).
        public var safetyWindowSeconds: Int
        /// Backlog (`queue_depth`) must stay below this.
        public var backlogBelow: Double?
        /// In-flight work (`in_flight`) must stay at or below this ("near zero").
        public var inFlightAtMost: Double?
        /// Error rate must stay at or below this baseline.
        public var errorRateAtMost: Double?

        public init(cooldownSeconds: Int = 300, safetyWindowSeconds: Int = 600, backlogBelow: Double? = nil,
                    inFlightAtMost: Double? = nil, errorRateAtMost: Double? = nil) {
            self.cooldownSeconds = cooldownSeconds
            self.safetyWindowSeconds = safetyWindowSeconds
            self.backlogBelow = backlogBelow
            self.inFlightAtMost = inFlightAtMost
            self.errorRateAtMost = errorRateAtMost
        }

        enum CodingKeys: String, CodingKey {
            case cooldownSeconds = "cooldown_seconds"
            case safetyWindowSeconds = "safety_window_seconds"
            case backlogBelow = "backlog_below"
            case inFlightAtMost = "in_flight_at_most"
            case errorRateAtMost = "error_rate_at_most"
        }

        /// Fields left out (or null) take their defaults, as documented.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                cooldownSeconds: try container.decodeIfPresent(Int.self, forKey: .cooldownSeconds) ?? 300,
                safetyWindowSeconds: try container.decodeIfPresent(Int.self, forKey: .safetyWindowSeconds) ?? 600,
                backlogBelow: try container.decodeIfPresent(Double.self, forKey: .backlogBelow),
                inFlightAtMost: try container.decodeIfPresent(Double.self, forKey: .inFlightAtMost),
                errorRateAtMost: try container.decodeIfPresent(Double.self, forKey: .errorRateAtMost)
            )
        }
    }

    public init(
        environment: String, service: String, minimumReplicas: Int, maximumReplicas: Int, scaleUp: ScaleUp = ScaleUp(),
        scaleDown: ScaleDown = ScaleDown(), allowedSignals: [String] = Signal.defaultAllowed, version: Int = 1
    ) {
        self.environment = environment
        self.service = service
        self.minimumReplicas = minimumReplicas
        self.maximumReplicas = maximumReplicas
        self.scaleUp = scaleUp
        self.scaleDown = scaleDown
        self.allowedSignals = allowedSignals
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case environment, service, version
        case minimumReplicas = "min_replicas"
        case maximumReplicas = "max_replicas"
        case scaleUp = "scale_up"
        case scaleDown = "scale_down"
        case allowedSignals = "allowed_signals"
    }

    /// The most replicas a policy may name (as the decision API's replica counts).
    public static let replicaLimit = 100_000
    /// The largest step, window or percentage a scale-up limit may name.
    public static let stepLimit = 1_000_000

    /// Why the policy is unusable, or nil.
    public var problem: FieldError? {
        if !(0...Self.replicaLimit).contains(minimumReplicas) {
            return FieldError(code: "invalid_value", message: "min_replicas must be between 0 and \(Self.replicaLimit)", field: "min_replicas")
        }
        if !(1...Self.replicaLimit).contains(maximumReplicas) {
            return FieldError(code: "invalid_value", message: "max_replicas must be between 1 and \(Self.replicaLimit)", field: "max_replicas")
        }
        if maximumReplicas < minimumReplicas {
            return FieldError(code: "inconsistent_values", message: "max_replicas must be at least min_replicas", field: "max_replicas")
        }
        for (value, field) in [
            (scaleUp.maximumStepReplicas, "scale_up.max_step_replicas"), (scaleUp.maximumStepPercent, "scale_up.max_step_percent"),
            (scaleUp.windowSeconds, "scale_up.window_seconds"), (scaleUp.windowReplicas, "scale_up.window_replicas"),
            (scaleUp.windowPercent, "scale_up.window_percent"),
        ] where !(1...Self.stepLimit).contains(value ?? 1) {
            return FieldError(code: "invalid_value", message: "\(field) must be between 1 and \(Self.stepLimit)", field: field)
        }
        for (value, field) in [
            (scaleDown.backlogBelow, "scale_down.backlog_below"), (scaleDown.inFlightAtMost, "scale_down.in_flight_at_most"),
            (scaleDown.errorRateAtMost, "scale_down.error_rate_at_most"),
        ] where !(value ?? 0).isFinite {
            return FieldError(code: "invalid_value", message: "\(field) must be a finite number", field: field)
        }
        if (scaleUp.windowReplicas != nil || scaleUp.windowPercent != nil) && scaleUp.windowSeconds == nil {
            // Each field valid alone; together they name a window of no length (422, like max below min).
            return FieldError(code: "inconsistent_values", message: "a window limit (scale_up.window_replicas or window_percent) needs scale_up.window_seconds", field: "scale_up.window_seconds")
        }
        // A day at most: the decision path reads one day of history.
        for (value, field) in [
            (scaleUp.cooldownSeconds, "scale_up.cooldown_seconds"), (scaleDown.cooldownSeconds, "scale_down.cooldown_seconds"),
            (scaleDown.safetyWindowSeconds, "scale_down.safety_window_seconds"), (scaleUp.windowSeconds ?? 0, "scale_up.window_seconds"),
        ] where !(0...86_400).contains(value) {
            return FieldError(code: "invalid_value", message: "\(field) must be between 0 and 86400 seconds", field: field)
        }
        for (index, name) in allowedSignals.enumerated() {
            guard let signal = Signal.Kind(name: name) else {
                return FieldError(code: "invalid_signal", message: "unknown signal '\(name.prefix(64))'; \(Signal.namesHelp)", field: "allowed_signals[\(index)]")
            }
            if signal.isForbiddenAlone {
                return FieldError(
                    code: "forbidden_signal",
                    message: "\(name) cannot be an allowed trigger: error rate and latency percentiles are never valid triggers on their own",
                    field: "allowed_signals[\(index)]"
                )
            }
        }
        return nil
    }
}
