import ArgumentParser
import BudgetServer
import BudgetStore
import Foundation

struct Kubernetes: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Kubernetes admission: print the objects that install the webhook.",
        subcommands: [KubernetesManifest.self]
    )
}

struct KubernetesManifest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifest",
        abstract: "Print a MutatingWebhookConfiguration, and a Deployment (2 replicas) and Service for the webhook, as YAML."
    )

    @Option(help: "The tenant whose caps the cluster answers to.")
    var tenant: String

    @Option(help: "The service's URL as the API server reaches it (https://…).")
    var url: String

    @Option(help: "PEM file of the CA that signed the service's certificate (the webhook's caBundle).")
    var caFile: String?

    @Option(help: "Fail (a change is refused while the service cannot answer) or Ignore (it goes through unchecked).")
    var failurePolicy: String = "Fail"

    @Option(help: "A bound namespace (repeatable); default: every namespace of the tenant's KubernetesBinding documents in --budgets.")
    var namespace: [String] = []

    @Option(help: "Directory of YAML configuration to read the bindings from (default: Budgets/ when it exists).")
    var budgets: String?

    @Option(help: "Put this decide token in the webhook URL's path, for API servers that cannot send credentials (whoever reads the configuration reads the token).")
    var pathToken: String?

    func validate() throws {
        guard WebhookManifest.FailurePolicy(rawValue: failurePolicy) != nil else { throw ValidationError("--failure-policy must be Fail or Ignore") }
        guard url.hasPrefix("https://") else { throw ValidationError("--url must be https://… (the API server only calls webhooks over HTTPS)") }
    }

    func run() throws {
        var namespaces = namespace
        if namespaces.isEmpty, let directory = budgets ?? (FileManager.default.fileExists(atPath: "Budgets") ? "Budgets" : nil) {
            do {
                let desired = try BudgetFiles.load(directory: directory).desired
                namespaces = desired.tenants[tenant]?.kubernetesBindings.flatMap { $0.namespaces.keys } ?? []
            } catch let error as BudgetFiles.FileError {
                throw ClientFailure("\(error)")
            }
        }
        guard !namespaces.isEmpty else {
            throw ValidationError("no bound namespace: pass --namespace, or --budgets with a KubernetesBinding for tenant \(tenant)")
        }
        var caPEM: String?
        if let caFile {
            guard let text = try? String(contentsOfFile: caFile, encoding: .utf8), text.contains("-----BEGIN CERTIFICATE-----") else {
                throw ClientFailure("\(caFile): not a PEM certificate")
            }
            caPEM = text
        }
        let manifest = WebhookManifest(
            tenant: tenant, url: url, caPEM: caPEM, failurePolicy: WebhookManifest.FailurePolicy(rawValue: failurePolicy)!,
            namespaces: Array(Set(namespaces)), pathToken: pathToken
        )
        print(try manifest.yaml(), terminator: "")
    }
}
