/// Where alerts go: a webhook, in Chartly's JSON or Prometheus Alertmanager's format, signed with a secret,
/// for the alerts that pass its filters.
public struct AlertRoute: Sendable, Hashable, Codable {
    public enum Format: String, Sendable, Hashable, Codable, CaseIterable {
        /// Chartly's own JSON.
        case chartly
        /// Alertmanager's `POST /api/v2/alerts` (the URL is Alertmanager's base URL).
        case alertmanager
    }

    public var name: String
    public var url: String
    public var format: Format
    /// Signs each delivery (HMAC-SHA256 of the timestamp and body); never shown back in answers.
    public var secret: String?
    /// Alert kinds to send (empty: all).
    public var kinds: [String]
    /// The least severity to send: info, warning or critical.
    public var minimumSeverity: Severity
    /// Environments to send (empty: all).
    public var environments: [String]
    public var version: Int

    public init(name: String, url: String, format: Format = .chartly, secret: String? = nil, kinds: [String] = [],
                minimumSeverity: Severity = .info, environments: [String] = [], version: Int = 1) {
        self.name = name
        self.url = url
        self.format = format
        self.secret = secret
        self.kinds = kinds
        self.minimumSeverity = minimumSeverity
        self.environments = environments
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case name, url, format, secret, kinds, environments, version
        case minimumSeverity = "min_severity"
    }

    /// Why the route is unusable, or nil.
    public var problem: FieldError? {
        let lower = url.lowercased()
        guard (lower.hasPrefix("http://") || lower.hasPrefix("https://")), url.count <= 2048, !url.contains(" ") else {
            return FieldError(code: "invalid_url", message: "url must be an http:// or https:// URL", field: "url")
        }
        if let secret, secret.count < 16 {
            return FieldError(code: "invalid_value", message: "secret must be at least 16 characters", field: "secret")
        }
        for (index, environment) in environments.enumerated() where !PartitionKey.isValid(environment) {
            return FieldError(code: "invalid_name", message: "environments must match \(PartitionKey.pattern)", field: "environments[\(index)]")
        }
        return nil
    }
}

/// How urgent an alert is.
public enum Severity: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case info, warning, critical

    private var rank: Int {
        switch self {
        case .info: 0
        case .warning: 1
        case .critical: 2
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}
