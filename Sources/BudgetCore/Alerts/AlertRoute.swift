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
        // Checked on bytes and Unicode scalars, as the OpenAPI document's pattern and lengths count them.
        let scheme = url.utf8.prefix(8).map { (65...90).contains($0) ? $0 + 32 : $0 }
        let isHTTP = scheme.starts(with: "http://".utf8) || scheme.starts(with: "https://".utf8)
        guard isHTTP, url.unicodeScalars.count <= 2048, !url.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) else {
            return FieldError(code: "invalid_url", message: "url must be an http:// or https:// URL (at most 2048 characters, no spaces)", field: "url")
        }
        if let secret, secret.unicodeScalars.count < 16 || secret.unicodeScalars.contains("\u{0}") {
            return FieldError(code: "invalid_value", message: "secret must be at least 16 characters, without U+0000", field: "secret")
        }
        for (index, kind) in kinds.enumerated() where AlertKind(rawValue: kind) == nil {
            return FieldError(
                code: "invalid_value",
                message: "kinds takes \(AlertKind.allCases.map(\.rawValue).joined(separator: ", "))",
                field: "kinds[\(index)]"
            )
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
