import ServiceLifecycle
import Synchronization

/// Opened once the schema is migrated; the background jobs wait for it, so a first start does not log
/// failures of jobs that ran against tables not created yet.
public final class StartGate: Sendable {
    private let opened = Mutex(false)

    public init(open: Bool = false) {
        opened.withLock { $0 = open }
    }

    public func open() { opened.withLock { $0 = true } }
    public var isOpen: Bool { opened.withLock { $0 } }
}

/// Runs `service` once `gate` opens; ends at once if the service group shuts down first.
struct StartsAfter: Service {
    let gate: StartGate
    let service: any Service

    func run() async throws {
        let gate = self.gate
        let opened = await cancelWhenGracefulShutdown {
            while !gate.isOpen {
                do {
                    try await Task.sleep(for: .milliseconds(50))
                } catch {
                    return false
                }
            }
            return true
        }
        guard opened else { return }
        try await service.run()
    }
}
