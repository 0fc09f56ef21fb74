import Foundation
import Synchronization

/// A busy loop of `burst` every `period` on an OS thread of its own, until stopped: the CPU use of an
/// unrelated process sharing the machine (`bench --cpu-burst-ms`). It shows what a neighbour's CPU, and
/// nothing else of it (no rows, no connections, no locks), does to the figures.
final class CPUBurst: Sendable {
    private let running = Atomic<Bool>(true)

    init(burst: Duration, period: Duration = .milliseconds(100)) {
        let thread = Thread { [self] in
            let clock = ContinuousClock()
            var next = clock.now
            while running.load(ordering: .relaxed) {
                let end = clock.now + burst
                while clock.now < end {}
                next = next + period
                let wait = next - clock.now
                if wait > .zero { Thread.sleep(forTimeInterval: Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18) }
            }
        }
        thread.name = "cpu-burst"
        thread.start()
    }

    func stop() { running.store(false, ordering: .relaxed) }
}
