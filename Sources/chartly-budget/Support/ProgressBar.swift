import Foundation

/// A one-line progress bar on standard error, drawn only when it is a terminal.
struct ProgressBar {
    let total: Int
    let enabled: Bool = isatty(STDERR_FILENO) == 1
    private var lastDrawn = Date.distantPast

    init(total: Int) {
        self.total = total
    }

    mutating func update(done: Int, summary: IngestSummary) {
        guard enabled, Date().timeIntervalSince(lastDrawn) > 0.1 else { return }
        lastDrawn = Date()
        draw(done: done, summary: summary)
    }

    mutating func finish(done: Int, summary: IngestSummary) {
        guard enabled else { return }
        draw(done: done, summary: summary)
        FileHandle.standardError.write(Data("\n".utf8))
    }

    private func draw(done: Int, summary: IngestSummary) {
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let text = "\r\(bar) \(Int(fraction * 100))%  \(summary.line)"
        FileHandle.standardError.write(Data(text.utf8))
    }
}
