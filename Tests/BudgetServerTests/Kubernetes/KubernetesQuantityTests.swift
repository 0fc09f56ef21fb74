import BudgetCore
import Foundation
@testable import BudgetServer
import Testing

@Suite("Kubernetes quantities and pod requests, exactly")
struct KubernetesQuantityTests {
    static func cores(_ text: String) throws -> String? { try KubernetesQuantity(parsing: text).cores?.description }
    static func gibibytes(_ text: String) throws -> String? { try KubernetesQuantity(parsing: text).gibibytes?.description }

    @Test("CPU: milli, plain, exponents, decimal suffixes, at the nano-core", arguments: [
        ("500m", "0.5"), ("2", "2"), ("1.5e3", "1500"), ("1.5E3", "1500"), ("1e-3", "0.001"), ("0.1", "0.1"), (".5", "0.5"), ("5.", "5"),
        ("+1", "1"), ("1n", "0.000000001"), ("1u", "0.000001"), ("250000u", "0.25"), ("1k", "1000"), ("0", "0"), ("0m", "0"),
        ("0.0000000001", "0.000000001"), ("1500000000n", "1.5"), ("100000000000000000000n", "100000000000"), ("1000000000000", "1000000000000"),
    ])
    func cpu(text: String, expected: String) throws {
        #expect(try Self.cores(text) == expected)
    }

    @Test("memory: binary and decimal suffixes in GiB, rounded up to the nano-GiB", arguments: [
        ("4Gi", "4"), ("512Mi", "0.5"), ("1Ki", "0.000000954"), ("1Ti", "1024"), ("1G", "0.931322575"), ("1M", "0.000931323"),
        ("1", "0.000000001"), ("1073741824", "1"), ("1.5Gi", "1.5"), ("128974848", "0.120117188"), ("129e6", "0.120140613"), ("0.5Ei", "536870912"),
    ])
    func memory(text: String, expected: String) throws {
        #expect(try Self.gibibytes(text) == expected)
    }

    @Test("refused: negatives, stray characters, unknown suffixes, too many digits", arguments: [
        "-1", "", "m", "1.2.3", "12x", "1e", "1 Gi", "1gi", "1Kib", "0x10", "12345678901234567890123",
    ])
    func refused(text: String) {
        #expect(throws: KubernetesQuantity.Invalid.self) { _ = try KubernetesQuantity(parsing: text) }
    }

    @Test("above the largest quantity is nil, not a wrapped number")
    func tooLarge() throws {
        #expect(try Self.cores("1E") == nil)
        #expect(try Self.cores("1e13") == nil)
        #expect(try Self.gibibytes("8Ei") == "8589934592")
    }

    @Test("a pod's request: regular containers summed, sidecars added, never below the largest init container")
    func podRequests() throws {
        func pod(_ json: String) throws -> PodResources {
            let value = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
            return try PodResources(podSpec: value, field: "spec")
        }
        let plain = try pod(#"{"containers":[{"resources":{"requests":{"cpu":"500m","memory":"1Gi"}}},{"resources":{"requests":{"cpu":"250m"}}},{"name":"no-requests"}]}"#)
        #expect(plain == PodResources(cpuCores: Quantity(decimalString: "0.75")!, memoryGiB: Quantity(decimalString: "1")!))
        // An init container bigger than the regular ones sets the pod's request while it runs.
        let bigInit = try pod(#"{"initContainers":[{"resources":{"requests":{"cpu":"2","memory":"256Mi"}}}],"containers":[{"resources":{"requests":{"cpu":"500m","memory":"1Gi"}}}]}"#)
        #expect(bigInit == PodResources(cpuCores: Quantity(decimalString: "2")!, memoryGiB: Quantity(decimalString: "1")!))
        // A sidecar (restartPolicy Always) runs beside everything after it: added to the regular containers and to later init containers.
        let sidecar = try pod(
            #"{"initContainers":[{"restartPolicy":"Always","resources":{"requests":{"cpu":"100m","memory":"128Mi"}}},{"resources":{"requests":{"cpu":"1","memory":"64Mi"}}}],"containers":[{"resources":{"requests":{"cpu":"500m","memory":"1Gi"}}}],"overhead":{"cpu":"10m"}}"#
        )
        #expect(sidecar == PodResources(cpuCores: Quantity(decimalString: "1.11")!, memoryGiB: Quantity(decimalString: "1.125")!))
        #expect(sidecar.perReplica == ["cpu_cores": 1.11, "memory_gib": 1.125])
    }
}
