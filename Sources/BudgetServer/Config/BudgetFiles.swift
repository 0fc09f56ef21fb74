import BudgetCore
import BudgetStore
import Foundation
import Yams

/// Reads `Budgets/*.yaml`: Kubernetes-style documents (`apiVersion: chartly.dev/v1`, `kind`, `metadata`,
/// `spec`), several per file. Every error names the file, the line and the field.
public enum BudgetFiles {
    public static let apiVersion = "chartly.dev/v1"

    public struct FileError: Error, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var field: String
        public var message: String

        public var description: String { "\(file):\(line): \(field): \(message)" }
    }

    /// The documents of every `.yaml`/`.yml` file in `directory` (sorted by name), validated.
    public static func load(directory: String, environmentVariables: [String: String] = ProcessInfo.processInfo.environment) throws -> (documents: [ConfigDocument], desired: DesiredConfiguration) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw FileError(file: directory, line: 0, field: "-", message: "not a directory")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        var documents: [ConfigDocument] = []
        var desired = DesiredConfiguration()
        for file in files {
            let path = (directory as NSString).appendingPathComponent(file)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let parsed = try parse(text, file: path, environmentVariables: environmentVariables)
            for (document, node) in parsed {
                do {
                    try document.resolve(into: &desired, environmentVariables: environmentVariables)
                } catch {
                    throw FileError(file: path, line: line(of: error.field, in: node), field: error.field, message: error.message)
                }
                documents.append(document)
            }
        }
        return (documents, desired)
    }

    /// The documents of one YAML text, each with its node (for line numbers).
    static func parse(_ text: String, file: String, environmentVariables: [String: String]) throws -> [(ConfigDocument, Node)] {
        var result: [(ConfigDocument, Node)] = []
        let nodes: [Node]
        do {
            nodes = Array(try Yams.compose_all(yaml: text))
        } catch let error as YamlError {
            throw FileError(file: file, line: yamlErrorLine(error), field: "-", message: "not valid YAML: \(error)")
        }
        for node in nodes {
            let documentLine = node.mark?.line ?? 1
            func fail(_ field: String, _ message: String) -> FileError {
                FileError(file: file, line: line(of: field, in: node), field: field, message: message)
            }
            guard node.mapping != nil else { throw FileError(file: file, line: documentLine, field: "-", message: "a document must be a mapping") }
            guard node["apiVersion"]?.string == apiVersion else { throw fail("apiVersion", "apiVersion must be \(apiVersion)") }
            guard let kind = node["kind"]?.string else { throw fail("kind", "kind is required (\(ConfigDocument.kinds.joined(separator: ", ")))") }
            guard let metadata = node["metadata"], metadata.mapping != nil else { throw fail("metadata", "metadata with at least a tenant is required") }
            guard let tenant = metadata["tenant"]?.string else { throw fail("metadata.tenant", "metadata.tenant is required") }
            guard let specNode = node["spec"], specNode.mapping != nil else { throw fail("spec", "spec is required") }
            let spec: Data
            do {
                spec = try specJSON(kind: kind, node: specNode)
            } catch let error as DecodingError {
                let described = JSONBody.describe(error, prefix: "spec")
                let field = described.field ?? "spec"
                throw FileError(file: file, line: line(of: field, in: node), field: field, message: described.message)
            } catch {
                throw fail("spec", "\(error)")
            }
            var document = ConfigDocument(
                source: "\(file):\(documentLine)", kind: kind, tenant: tenant, environment: metadata["environment"]?.string,
                service: metadata["service"]?.string, name: metadata["name"]?.string, spec: spec
            )
            if kind == "AlertRoute" {
                // Files name the environment variable holding the secret; what travels is the secret itself.
                var route = try JSONDecoder().decode(ConfigSpecs.AlertRouteSpec.self, from: spec)
                if let variable = route.secretEnv {
                    guard let value = environmentVariables[variable], !value.isEmpty else {
                        throw fail("spec.secret_env", "environment variable \(variable) is not set")
                    }
                    route.secret = value
                    route.secretEnv = nil
                    document.spec = try JSONEncoder().encode(route)
                }
            }
            result.append((document, node))
        }
        return result
    }

    /// Decodes the spec with the kind's own type (so YAML money stays the exact text written) and re-encodes it as JSON.
    static func specJSON(kind: String, node: Node) throws -> Data {
        let decoder = YAMLDecoder()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        switch kind {
        case "RateCard": return try encoder.encode(decoder.decode(ConfigSpecs.RateCardSpec.self, from: node))
        case "EnvironmentCap": return try encoder.encode(decoder.decode(ConfigSpecs.CapSpec.self, from: node))
        case "Budget": return try encoder.encode(decoder.decode(ConfigSpecs.BudgetSpec.self, from: node))
        case "ScalingPolicy": return try encoder.encode(decoder.decode(ConfigSpecs.PolicySpec.self, from: node))
        case "AlertRoute": return try encoder.encode(decoder.decode(ConfigSpecs.AlertRouteSpec.self, from: node))
        case "PrometheusMapping": return try encoder.encode(decoder.decode(ConfigSpecs.PrometheusMappingSpec.self, from: node))
        case "KubernetesBinding": return try encoder.encode(decoder.decode(KubernetesBindingSpec.self, from: node))
        default: return Data("{}".utf8)
        }
    }

    /// The line of a dotted field (`spec.scale_up.cooldown_seconds`, `spec.prices.gpu`) in a document; the
    /// closest existing parent's line when the field itself is missing.
    static func line(of field: String, in node: Node) -> Int {
        var current = node
        var line = node.mark?.line ?? 1
        for part in field.split(separator: ".") {
            let name = String(part.prefix { $0 != "[" })
            guard let mapping = current.mapping, let pair = mapping.first(where: { $0.key.string == name }) else { break }
            line = pair.key.mark?.line ?? line
            current = pair.value
            if let open = part.firstIndex(of: "["), let index = Int(part[part.index(after: open)...].prefix { $0.isNumber }),
                let sequence = current.sequence, index < sequence.count
            {
                current = sequence[index]
                line = current.mark?.line ?? line
            }
        }
        return line
    }

    static func yamlErrorLine(_ error: YamlError) -> Int {
        let text = "\(error)"
        // Yams writes "…:LINE:COLUMN: …"; take the first number pair.
        let parts = text.split(separator: ":")
        for (index, part) in parts.enumerated() where index + 1 < parts.count {
            if let line = Int(part.trimmingCharacters(in: .whitespaces)), Int(parts[index + 1].trimmingCharacters(in: .whitespaces)) != nil { return line }
        }
        return 1
    }
}
