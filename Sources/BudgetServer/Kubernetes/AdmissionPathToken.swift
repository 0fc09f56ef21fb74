/// The webhook's token as the last segment of its path (`/v1/tenants/acme/kubernetes/admission/<token>`), for
/// API servers that cannot send an `Authorization` header (managed clusters). The token is then part of the
/// webhook's URL in the cluster's configuration: whoever can read the `MutatingWebhookConfiguration` can read
/// it (README, Kubernetes). It is checked exactly like a bearer token and never written to a log.
enum AdmissionPathToken {
    /// `Bearer <token>` when `path` is the webhook's path with a token; nil otherwise.
    static func authorization(path: String) -> String? {
        guard let token = token(in: path) else { return nil }
        return "Bearer \(token)"
    }

    static func token(in path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        // "", "v1", "tenants", tenant, "kubernetes", "admission", token
        guard parts.count == 7, parts[1] == "v1", parts[2] == "tenants", parts[4] == "kubernetes", parts[5] == "admission", !parts[6].isEmpty
        else { return nil }
        return String(parts[6])
    }

    /// The path as it may be logged: a token segment replaced by `<token>`.
    static func redacted(_ path: String) -> String {
        guard token(in: path) != nil else { return path }
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        parts[6] = "<token>"
        return parts.joined(separator: "/")
    }
}
