import Foundation

/// The objects that install the webhook in a cluster: the `MutatingWebhookConfiguration` that sends the API
/// server's changes of replicas and requests to the service, and a Deployment (two replicas) and Service
/// running the service itself.
public struct WebhookManifest: Sendable {
    public enum FailurePolicy: String, Sendable, CaseIterable {
        case fail = "Fail"
        case ignore = "Ignore"
    }

    public var tenant: String
    /// The service's base URL as the API server reaches it (`https://chartly-budget.chartly.svc`), or the
    /// webhook's whole URL.
    public var url: String
    /// PEM of the CA that signed the service's certificate (the API server checks the service with it).
    public var caPEM: String?
    public var failurePolicy: FailurePolicy = .fail
    /// The bound namespaces (the only ones the API server sends).
    public var namespaces: [String]
    /// For API servers that cannot send credentials: the token as the URL's last segment.
    public var pathToken: String?
    public var timeoutSeconds = 5
    /// Where the webhook's own Deployment and Service go.
    public var webhookNamespace = "chartly-budget"
    public var image = "ghcr.io/chartly/chartly-budget:latest"

    public init(tenant: String, url: String, caPEM: String?, failurePolicy: FailurePolicy, namespaces: [String], pathToken: String? = nil) {
        self.tenant = tenant
        self.url = url
        self.caPEM = caPEM
        self.failurePolicy = failurePolicy
        self.namespaces = namespaces
        self.pathToken = pathToken
    }

    public var webhookURL: String {
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        if !base.contains("/kubernetes/admission") { base += "/v1/tenants/\(tenant)/kubernetes/admission" }
        if let pathToken { base += "/\(pathToken)" }
        return base
    }

    /// Sends only changes that can cost: a creation, a new replica count, new requests in the pod template.
    public static let matchCondition = """
        request.operation == 'CREATE' ||
        (request.subResource == 'scale' && object.spec.replicas != oldObject.spec.replicas) ||
        (request.subResource != 'scale' && (
          (has(object.spec.replicas) ? object.spec.replicas : 1) != (has(oldObject.spec.replicas) ? oldObject.spec.replicas : 1) ||
          object.spec.template.spec.containers.map(c, has(c.resources) ? c.resources : {}) !=
            oldObject.spec.template.spec.containers.map(c, has(c.resources) ? c.resources : {}) ||
          (has(object.spec.template.spec.initContainers) ? object.spec.template.spec.initContainers.map(c, has(c.resources) ? c.resources : {}) : []) !=
            (has(oldObject.spec.template.spec.initContainers) ? oldObject.spec.template.spec.initContainers.map(c, has(c.resources) ? c.resources : {}) : []) ||
          has(object.spec.template.spec.overhead) != has(oldObject.spec.template.spec.overhead)))
        """

    public func yaml() throws -> String {
        try YAMLTree.documents([webhookConfiguration, deployment, service])
    }

    var webhookConfiguration: YAMLTree {
        var clientConfig: [(String, YAMLTree)] = [("url", .string(webhookURL))]
        if let caPEM { clientConfig.append(("caBundle", .string(Data(caPEM.utf8).base64EncodedString()))) }
        return .map([
            ("apiVersion", .string("admissionregistration.k8s.io/v1")),
            ("kind", .string("MutatingWebhookConfiguration")),
            ("metadata", .map([("name", .string("chartly-budget-\(tenant)"))])),
            ("webhooks", .list([
                .map([
                    ("name", .string("\(tenant).budget.chartly.dev")),
                    ("admissionReviewVersions", .list([.string("v1")])),
                    ("sideEffects", .string("NoneOnDryRun")),
                    ("timeoutSeconds", .int(timeoutSeconds)),
                    ("failurePolicy", .string(failurePolicy.rawValue)),
                    ("matchPolicy", .string("Equivalent")),
                    ("reinvocationPolicy", .string("Never")),
                    ("clientConfig", .map(clientConfig)),
                    ("rules", .list([
                        .map([
                            ("apiGroups", .list([.string("apps")])),
                            ("apiVersions", .list([.string("v1")])),
                            ("operations", .list([.string("CREATE"), .string("UPDATE")])),
                            ("resources", .list(["deployments", "statefulsets", "deployments/scale", "statefulsets/scale"].map { .string($0) })),
                            ("scope", .string("Namespaced")),
                        ])
                    ])),
                    ("namespaceSelector", .map([
                        ("matchExpressions", .list([
                            .map([
                                ("key", .string("kubernetes.io/metadata.name")),
                                ("operator", .string("In")),
                                ("values", .list(namespaces.sorted().map { .string($0) })),
                            ])
                        ]))
                    ])),
                    ("matchConditions", .list([
                        .map([("name", .string("replicas-or-requests-changed")), ("expression", .string(Self.matchCondition))])
                    ])),
                ])
            ])),
        ])
    }

    var labels: YAMLTree { .map([("app.kubernetes.io/name", .string("chartly-budget"))]) }

    var deployment: YAMLTree {
        .map([
            ("apiVersion", .string("apps/v1")),
            ("kind", .string("Deployment")),
            ("metadata", .map([("name", .string("chartly-budget")), ("namespace", .string(webhookNamespace)), ("labels", labels)])),
            ("spec", .map([
                ("replicas", .int(2)),
                ("selector", .map([("matchLabels", labels)])),
                ("template", .map([
                    ("metadata", .map([("labels", labels)])),
                    ("spec", .map([
                        ("containers", .list([
                            .map([
                                ("name", .string("chartly-budget")),
                                ("image", .string(image)),
                                ("args", .list(["serve", "--host", "0.0.0.0", "--port", "8443", "--tls-cert", "/tls/tls.crt", "--tls-key", "/tls/tls.key"].map { .string($0) })),
                                ("ports", .list([.map([("name", .string("https")), ("containerPort", .int(8443))])])),
                                ("env", .list([
                                    .map([
                                        ("name", .string("DATABASE_URL")),
                                        ("valueFrom", .map([("secretKeyRef", .map([("name", .string("chartly-budget-database")), ("key", .string("url"))]))])),
                                    ])
                                ])),
                                ("readinessProbe", .map([("httpGet", .map([("path", .string("/ready")), ("port", .string("https")), ("scheme", .string("HTTPS"))]))])),
                                ("livenessProbe", .map([("httpGet", .map([("path", .string("/health")), ("port", .string("https")), ("scheme", .string("HTTPS"))]))])),
                                ("resources", .map([("requests", .map([("cpu", .string("250m")), ("memory", .string("256Mi"))]))])),
                                ("volumeMounts", .list([.map([("name", .string("tls")), ("mountPath", .string("/tls")), ("readOnly", .bool(true))])])),
                            ])
                        ])),
                        ("volumes", .list([.map([("name", .string("tls")), ("secret", .map([("secretName", .string("chartly-budget-tls"))]))])])),
                    ])),
                ])),
            ])),
        ])
    }

    var service: YAMLTree {
        .map([
            ("apiVersion", .string("v1")),
            ("kind", .string("Service")),
            ("metadata", .map([("name", .string("chartly-budget")), ("namespace", .string(webhookNamespace)), ("labels", labels)])),
            ("spec", .map([
                ("selector", labels),
                ("ports", .list([.map([("name", .string("https")), ("port", .int(443)), ("targetPort", .string("https"))])])),
            ])),
        ])
    }
}
