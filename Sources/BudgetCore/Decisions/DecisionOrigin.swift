/// Where a decision request came from when it did not come through the decision API itself, recorded with the
/// decision so that it can be explained afterwards. The engine never reads it.
public struct DecisionOrigin: Sendable, Hashable, Codable {
    /// The door: `kubernetes_admission`.
    public var source: String
    /// Who asked (the Kubernetes user that sent the change).
    public var user: String?
    /// The door's own record of the request, as it arrived (for an admission: its kind, namespace, name,
    /// operation and object).
    public var details: JSONValue?

    public init(source: String, user: String?, details: JSONValue?) {
        self.source = source
        self.user = user
        self.details = details
    }
}
