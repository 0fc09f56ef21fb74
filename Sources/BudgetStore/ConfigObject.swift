import BudgetCore
import Foundation

/// The kinds of configuration kept as versioned JSON documents: caps, budgets, scaling policies, alert routes.
public enum ConfigKind: String, Sendable, CaseIterable, Codable {
    case cap = "EnvironmentCap"
    case budget = "Budget"
    case policy = "ScalingPolicy"
    case alertRoute = "AlertRoute"
    case prometheusMapping = "PrometheusMapping"
    case kubernetesBinding = "KubernetesBinding"

    var table: String {
        switch self {
        case .cap: "caps"
        case .budget: "budgets"
        case .policy: "scaling_policies"
        case .alertRoute: "alert_routes"
        case .prometheusMapping: "prometheus_mappings"
        case .kubernetesBinding: "kubernetes_bindings"
        }
    }

    /// The name in the audit log (`cap.update`, …).
    public var auditName: String {
        switch self {
        case .cap: "cap"
        case .budget: "budget"
        case .policy: "policy"
        case .alertRoute: "alert_route"
        case .prometheusMapping: "prometheus_mapping"
        case .kubernetesBinding: "kubernetes_binding"
        }
    }
}

/// Where a configuration object lives: its table's key columns besides the tenant.
public struct ConfigKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var columns: [(name: String, value: String)]

    public init(_ columns: [(name: String, value: String)]) {
        self.columns = columns
    }

    public static func == (lhs: ConfigKey, rhs: ConfigKey) -> Bool {
        lhs.columns.map(\.name) == rhs.columns.map(\.name) && lhs.columns.map(\.value) == rhs.columns.map(\.value)
    }

    public func hash(into hasher: inout Hasher) {
        for column in columns {
            hasher.combine(column.name)
            hasher.combine(column.value)
        }
    }

    public static func < (lhs: ConfigKey, rhs: ConfigKey) -> Bool { lhs.description < rhs.description }

    /// As people read it: `prod/api`, `prod`, `monthly`.
    public var description: String { columns.map(\.value).filter { !$0.isEmpty }.joined(separator: "/") }
}

/// A configuration object the store can keep: a JSON document with a version.
public protocol ConfigObject: Codable, Sendable, Equatable {
    static var kind: ConfigKind { get }
    var configKey: ConfigKey { get }
    var version: Int { get set }
    /// Extra indexed columns besides the key (e.g. a budget's environment).
    var indexedColumns: [(name: String, value: String)] { get }
}

extension ConfigObject {
    public var indexedColumns: [(name: String, value: String)] { [] }

    /// Equal apart from the version the store assigns.
    func sameContent(as other: Self) -> Bool {
        var copy = other
        copy.version = version
        return copy == self
    }
}

extension Cap: ConfigObject {
    public static let kind = ConfigKind.cap
    public var configKey: ConfigKey { ConfigKey([("environment", environment), ("service", service ?? "")]) }
    public var indexedColumns: [(name: String, value: String)] { [("name", name)] }
}

extension Budget: ConfigObject {
    public static let kind = ConfigKind.budget
    public var configKey: ConfigKey { ConfigKey([("name", name)]) }
    public var indexedColumns: [(name: String, value: String)] {
        [("environment", environment), ("service", service ?? ""), ("enforce", enforce ? "true" : "false")]
    }
}

extension ScalingPolicy: ConfigObject {
    public static let kind = ConfigKind.policy
    public var configKey: ConfigKey { ConfigKey([("environment", environment), ("service", service)]) }
}

extension AlertRoute: ConfigObject {
    public static let kind = ConfigKind.alertRoute
    public var configKey: ConfigKey { ConfigKey([("name", name)]) }
}

extension PrometheusMapping: ConfigObject {
    public static let kind = ConfigKind.prometheusMapping
    public var configKey: ConfigKey { ConfigKey([("name", name)]) }
}

/// What writing a configuration object did.
public enum ConfigWrite<Object: ConfigObject>: Sendable {
    case created(Object)
    /// Updated, with the dotted paths of the fields that changed.
    case updated(Object, changedFields: [String])
    case unchanged(Object)

    public var object: Object {
        switch self {
        case .created(let object), .updated(let object, _), .unchanged(let object): object
        }
    }
}

/// Canonical JSON of configuration objects: sorted keys, so equal objects have equal bytes.
enum ConfigJSON {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    /// The dotted paths whose values differ between two JSON documents (`limits.period_spend`, `scale_up`).
    static func changedFields(from old: String, to new: String) -> [String] {
        guard let before = try? JSONSerialization.jsonObject(with: Data(old.utf8)),
            let after = try? JSONSerialization.jsonObject(with: Data(new.utf8))
        else { return [] }
        var changed: [String] = []
        diff(before, after, path: "", into: &changed)
        return changed.filter { $0 != "version" }.sorted()
    }

    private static func diff(_ before: Any?, _ after: Any?, path: String, into changed: inout [String]) {
        if let left = before as? [String: Any], let right = after as? [String: Any] {
            for key in Set(left.keys).union(right.keys) {
                diff(left[key], right[key], path: path.isEmpty ? key : "\(path).\(key)", into: &changed)
            }
            return
        }
        let same: Bool
        switch (before, after) {
        case (nil, nil): same = true
        case (let left?, let right?): same = (left as? NSObject)?.isEqual(right) ?? false
        default: same = false
        }
        if !same { changed.append(path) }
    }
}
