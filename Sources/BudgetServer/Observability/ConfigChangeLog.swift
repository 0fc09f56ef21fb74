import BudgetCore
import BudgetStore
import Logging

/// One structured log line per configuration change that can move a scaling decision (caps, budgets,
/// scaling policies, alert routes, rate cards), whichever way it arrived.
public enum ConfigChangeLog {
    public static func log(
        _ logger: Logger, tenant: String, kind: String, key: String, action: String, version: Int?, changedFields: [String] = [], actor: String
    ) {
        var metadata: Logger.Metadata = [
            "tenant": "\(tenant)", "kind": "\(kind)", "key": "\(key)", "action": "\(action)", "actor": "\(actor)",
        ]
        if let version { metadata["version"] = "\(version)" }
        if !changedFields.isEmpty { metadata["changed_fields"] = .array(changedFields.map { .string($0) }) }
        logger.info("configuration changed", metadata: metadata)
    }

    static func log<Object: ConfigObject>(_ logger: Logger, tenant: String, kind: String, key: String, write: ConfigWrite<Object>, actor: Principal) {
        switch write {
        case .created(let object): log(logger, tenant: tenant, kind: kind, key: key, action: "create", version: object.version, actor: actor.id)
        case .updated(let object, let changed):
            log(logger, tenant: tenant, kind: kind, key: key, action: "update", version: object.version, changedFields: changed, actor: actor.id)
        case .unchanged: break
        }
    }

    /// The entries of an applied plan that changed something.
    public static func log(_ logger: Logger, plan: [PlanEntry], actor: String) {
        for entry in plan where entry.action != .unchanged {
            log(logger, tenant: entry.tenant, kind: entry.kind, key: entry.key, action: entry.action.rawValue, version: nil, changedFields: entry.changedFields, actor: actor)
        }
    }
}
