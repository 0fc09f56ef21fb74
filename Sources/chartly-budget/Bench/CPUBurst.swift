import BudgetCore
import Foundation
import Synchronization

/// A busy loop of `burst` every `period` on average on an OS thread of its own, until stopped: the CPU use of an
/// unrelated process sharing the machine (`bench --cpu-burst-ms`). It shows what a neighbour's CPU, and
/// nothing else of it (no rows, no connections, no locks), does to the figures.
final class CPUBurst: Sendable {
    private let running = Atomic<Bool>(true)

    init(burst: Duration, period: Duration = .milliseconds(100)) {
        let thread = Thread { [self] in
            let clock = ContinuousClock()
            // Gaps drawn at random (mean `period`), so the bursts fall at every point of a periodic client's
            // cycle rather than always at the same one.
            var generator = SeededGenerator(seed: 0xB0_257)
            let meanGap = period - burst
            while running.load(ordering: .relaxed) {
                let end = clock.now + burst
                while clock.now < end {}
                let gap = meanGap * generator.uniform(0...2)
                Thread.sleep(forTimeInterval: Double(gap.components.seconds) + Double(gap.components.attoseconds) / 1e18)
            }
        }
        thread.name = "cpu-burst"
        thread.start()
    }

    func stop() { running.store(false, ordering: .relaxed) }
}
