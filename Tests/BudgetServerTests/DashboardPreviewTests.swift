import BudgetServer
import Foundation
import Testing

/// Writes the fixture pages as HTML files for a person (or a headless browser) to look at.
@Suite("Dashboard preview files")
struct DashboardPreviewTests {
    @Test(
        "writes the fixture pages to DASHBOARD_PREVIEW_DIR",
        .enabled(if: ProcessInfo.processInfo.environment["DASHBOARD_PREVIEW_DIR"] != nil)
    )
    func writePreviews() throws {
        let directory = URL(fileURLWithPath: ProcessInfo.processInfo.environment["DASHBOARD_PREVIEW_DIR"]!)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let pages: [(String, DashboardPage)] = [
            ("environment", .environment(DashboardFixtures.production)),
            ("list", .environmentList(tenant: "acme", environments: DashboardFixtures.summaries)),
            ("sign-in", .signIn(error: "That token is not valid.")),
        ]
        for (name, page) in pages {
            try DashboardRenderer.render(page).write(to: directory.appendingPathComponent("\(name).html"), atomically: true, encoding: .utf8)
        }
    }
}
