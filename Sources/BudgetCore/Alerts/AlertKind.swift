/// What raised an alert.
public enum AlertKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Actual spend crossed a budget threshold.
    case budgetActual = "budget_actual"
    /// The forecast crossed a budget threshold.
    case budgetForecast = "budget_forecast"
    /// A `deny` cap vetoed a scale-up.
    case capVeto = "cap_veto"
    /// A `warn` cap was exceeded (the scale-up was allowed).
    case capWarning = "cap_warning"
    /// Cost grew abnormally against its own baseline.
    case anomaly
}

/// The lifecycle of an alert.
public enum AlertState: String, Sendable, Hashable, Codable, CaseIterable {
    case firing, acknowledged, resolved
}

/// An alert about to be raised (or, when one with the same dedup key is open, counted again).
public struct AlertDraft: Sendable, Hashable {
    public var dedupKey: String
    public var kind: AlertKind
    public var severity: Severity
    public var environment: String
    public var service: String?
    public var summary: String
    /// Machine-readable detail (JSON object text): limits, figures, root cause.
    public var details: String

    public init(dedupKey: String, kind: AlertKind, severity: Severity, environment: String, service: String?, summary: String, details: String) {
        self.dedupKey = dedupKey
        self.kind = kind
        self.severity = severity
        self.environment = environment
        self.service = service
        self.summary = summary
        self.details = details
    }
}

extension AlertRoute {
    /// Whether an alert of this kind, severity and environment goes to this route.
    public func accepts(kind: AlertKind, severity: Severity, environment: String) -> Bool {
        (kinds.isEmpty || kinds.contains(kind.rawValue)) && severity >= minimumSeverity
            && (environments.isEmpty || environments.contains(environment))
    }
}
