import Foundation
import GantryTesting
import Testing

extension ProcessTests {
    /// The web UI in Chromium: `Tests/Browser/suite.py` starts the built `gantry` (a master and two workers) and
    /// drives the pages with Playwright. It runs with the other process suites, one at a time: Chromium and a
    /// master beside another cluster would starve both. Its screenshots and the processes' logs are kept in
    /// `.build/browser-artifacts`.
    @Suite(
        "The web UI in a browser",
        .enabled(if: WebTestTools.playwrightPython != nil, "GANTRY_TEST_PLAYWRIGHT_PYTHON is not set"),
        .enabled(if: WebTestTools.chromium != nil, "GANTRY_TEST_CHROMIUM is not set"),
        .timeLimit(.minutes(16))
    )
    struct BrowserSuiteTests {
        @Test("forcing and watching a build, a 200,000-line log, pausing a worker, a master restart, every main page")
        func browserSuite() async throws {
            let python = try #require(WebTestTools.playwrightPython)
            let chromium = try #require(WebTestTools.chromium)
            let artifacts = WebTestTools.packageRoot.appendingPathComponent(".build/browser-artifacts")
            try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
            // Once the rest of the suite has quietened, and at a lower priority (nice 10) all the same:
            // Chromium, a master and two workers beside it would starve tests with time limits of seconds.
            try await QuietMachine.wait()
            let run = try await ToolRun.run(
                "/usr/bin/nice",
                [
                    "-n", "10", python, "Tests/Browser/suite.py", GantryProcess.executable.path, artifacts.path,
                    "--chromium", chromium,
                ],
                in: WebTestTools.packageRoot, output: artifacts.appendingPathComponent("suite.log"),
                environment: ["PYTHONUNBUFFERED": "1"], limit: .seconds(600))
            #expect(
                run.status == 0 && !run.timedOut,
                "the browser suite \(run.ending); screenshots and logs are in \(artifacts.path):\n\(run.output)")
        }
    }
}
