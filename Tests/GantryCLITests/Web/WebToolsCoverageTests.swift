import Foundation
import GantryTesting
import Testing

@Suite("Web UI test tools", .paced)
struct WebToolsCoverageTests {
    /// CI must run the JavaScript tests and the browser suite; a missing tool there is a failure, not a skip.
    @Test("CI provides Node.js, Playwright and Chromium")
    func toolsInCI() {
        guard ProcessInfo.processInfo.environment["CI"] == "true" else { return }
        #expect(WebTestTools.node != nil)
        #expect(WebTestTools.playwrightPython != nil)
        #expect(WebTestTools.chromium != nil)
    }
}
