@testable import BudgetServer
import BudgetStore
import Foundation
import Testing
import Yams

@Suite("kubernetes manifest and the KubernetesBinding kind")
struct WebhookManifestTests {
    @Test("the manifest parses back: the webhook configuration, a two-replica Deployment and its Service, field by field")
    func manifest() throws {
        let ca = "-----BEGIN CERTIFICATE-----\nMIIBdummy\n-----END CERTIFICATE-----\n"
        let manifest = WebhookManifest(
            tenant: "acme", url: "https://chartly-budget.chartly-budget.svc", caPEM: ca, failurePolicy: .fail, namespaces: ["shop-staging", "shop"]
        )
        let documents = try Array(Yams.load_all(yaml: try manifest.yaml())).map { try #require($0 as? [String: Any]) }
        #expect(documents.count == 3)
        let configuration = documents[0]
        #expect(configuration["apiVersion"] as? String == "admissionregistration.k8s.io/v1")
        #expect(configuration["kind"] as? String == "MutatingWebhookConfiguration")
        #expect((configuration["metadata"] as? [String: Any])?["name"] as? String == "chartly-budget-acme")
        let webhook = try #require((configuration["webhooks"] as? [[String: Any]])?.first)
        #expect(webhook["name"] as? String == "acme.budget.chartly.dev")
        #expect(webhook["admissionReviewVersions"] as? [String] == ["v1"])
        #expect(webhook["sideEffects"] as? String == "NoneOnDryRun")
        #expect(webhook["timeoutSeconds"] as? Int == 5)
        #expect(webhook["failurePolicy"] as? String == "Fail")
        #expect(webhook["reinvocationPolicy"] as? String == "Never")
        let client = try #require(webhook["clientConfig"] as? [String: Any])
        #expect(client["url"] as? String == "https://chartly-budget.chartly-budget.svc/v1/tenants/acme/kubernetes/admission")
        #expect((client["caBundle"] as? String).flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) } == ca)
        let rule = try #require((webhook["rules"] as? [[String: Any]])?.first)
        #expect(rule["apiGroups"] as? [String] == ["apps"])
        #expect(rule["apiVersions"] as? [String] == ["v1"])
        #expect(rule["operations"] as? [String] == ["CREATE", "UPDATE"])
        #expect(rule["resources"] as? [String] == ["deployments", "statefulsets", "deployments/scale", "statefulsets/scale"])
        #expect(rule["scope"] as? String == "Namespaced")
        let selector = try #require(((webhook["namespaceSelector"] as? [String: Any])?["matchExpressions"] as? [[String: Any]])?.first)
        #expect(selector["key"] as? String == "kubernetes.io/metadata.name")
        #expect(selector["operator"] as? String == "In")
        #expect(selector["values"] as? [String] == ["shop", "shop-staging"])
        let condition = try #require((webhook["matchConditions"] as? [[String: Any]])?.first)
        #expect(condition["name"] as? String == "replicas-or-requests-changed")
        #expect((condition["expression"] as? String)?.trimmingCharacters(in: .newlines) == WebhookManifest.matchCondition)

        let deployment = documents[1]
        #expect(deployment["kind"] as? String == "Deployment")
        let spec = try #require(deployment["spec"] as? [String: Any])
        #expect(spec["replicas"] as? Int == 2)
        let container = try #require((((spec["template"] as? [String: Any])?["spec"] as? [String: Any])?["containers"] as? [[String: Any]])?.first)
        #expect(container["args"] as? [String] == ["serve", "--host", "0.0.0.0", "--port", "8443", "--tls-cert", "/tls/tls.crt", "--tls-key", "/tls/tls.key"])
        #expect(((container["readinessProbe"] as? [String: Any])?["httpGet"] as? [String: Any])?["scheme"] as? String == "HTTPS")

        let service = documents[2]
        #expect(service["kind"] as? String == "Service")
        let port = try #require(((service["spec"] as? [String: Any])?["ports"] as? [[String: Any]])?.first)
        #expect(port["port"] as? Int == 443)
        #expect(port["targetPort"] as? String == "https")
    }

    @Test("Ignore and a token in the path change only what they name")
    func ignoreAndPathToken() throws {
        var manifest = WebhookManifest(tenant: "acme", url: "https://hooks.example.com/", caPEM: nil, failurePolicy: .ignore, namespaces: ["shop"], pathToken: "cb_secret")
        manifest.timeoutSeconds = 3
        let configuration = try #require(try Yams.load_all(yaml: try manifest.yaml()).first(where: { _ in true }) as? [String: Any])
        let webhook = try #require((configuration["webhooks"] as? [[String: Any]])?.first)
        #expect(webhook["failurePolicy"] as? String == "Ignore")
        #expect(webhook["timeoutSeconds"] as? Int == 3)
        let client = try #require(webhook["clientConfig"] as? [String: Any])
        #expect(client["url"] as? String == "https://hooks.example.com/v1/tenants/acme/kubernetes/admission/cb_secret")
        #expect(client["caBundle"] == nil)
    }

    @Test("a KubernetesBinding in Budgets/ resolves with its defaults; a bad field is named")
    func binding() throws {
        let good = ConfigDocument(
            source: "Budgets/cluster.yaml:1", kind: "KubernetesBinding", tenant: "acme", environment: nil, service: nil, name: "cluster-a",
            spec: Data(#"{"namespaces":{"shop":"prod"}}"#.utf8)
        )
        var desired = DesiredConfiguration()
        try good.resolve(into: &desired)
        #expect(desired.tenants["acme"]?.kubernetesBindings == [KubernetesBinding(name: "cluster-a", namespaces: ["shop": "prod"])])
        let bad = ConfigDocument(
            source: "Budgets/cluster.yaml:1", kind: "KubernetesBinding", tenant: "acme", environment: nil, service: nil, name: "cluster-a",
            spec: Data(#"{"namespaces":{"shop":"prod"},"unbound_namespaces":"maybe"}"#.utf8)
        )
        var other = DesiredConfiguration()
        #expect(throws: ConfigDocument.Invalid.self) { try bad.resolve(into: &other) }
        do { try bad.resolve(into: &other) } catch { #expect(error.field == "spec.unbound_namespaces") }
    }
}

@Suite("The webhook's path token")
struct AdmissionPathTokenTests {
    @Test("read from the webhook's path only, and redacted wherever a path is logged")
    func pathToken() {
        #expect(AdmissionPathToken.authorization(path: "/v1/tenants/acme/kubernetes/admission/cb_s3cret") == "Bearer cb_s3cret")
        #expect(AdmissionPathToken.authorization(path: "/v1/tenants/acme/kubernetes/admission") == nil)
        #expect(AdmissionPathToken.authorization(path: "/v1/tenants/acme/decisions/cb_s3cret") == nil)
        #expect(AdmissionPathToken.authorization(path: "/v1/tenants/acme/kubernetes/admission/cb_s3cret/more") == nil)
        #expect(AdmissionPathToken.redacted("/v1/tenants/acme/kubernetes/admission/cb_s3cret") == "/v1/tenants/acme/kubernetes/admission/<token>")
        #expect(AdmissionPathToken.redacted("/v1/tenants/acme/decisions") == "/v1/tenants/acme/decisions")
    }
}
