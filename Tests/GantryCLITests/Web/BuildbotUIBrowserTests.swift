import Foundation
import GantryTesting
import Testing

extension ProcessTests {
    /// Buildbot's own web UI served by Gantry, in Chromium: `Tests/Browser/buildbot_ui.py` starts the built
    /// `gantry` (a master with `www: {buildbotUI: …}` and two native workers) and drives the UI with Playwright. It
    /// needs buildbot-www, found in the virtual environment of `GANTRY_TEST_BUILDBOT_MASTER`'s `buildbot`, and runs
    /// with the other process suites, one at a time. Its screenshots and the processes' logs are kept in
    /// `.build/browser-artifacts/buildbot-ui`.
    @Suite(
        "Buildbot's web UI served by Gantry, in a browser",
        .enabled(if: WebTestTools.playwrightPython != nil, "GANTRY_TEST_PLAYWRIGHT_PYTHON is not set"),
        .enabled(if: WebTestTools.chromium != nil, "GANTRY_TEST_CHROMIUM is not set"),
        .enabled(
            if: BuildbotWWW.staticFolder != nil,
            "no buildbot-www beside GANTRY_TEST_BUILDBOT_MASTER's buildbot"),
        .timeLimit(.minutes(10))
    )
    struct BuildbotUIBrowserTests {
        @Test("the builders, a build turning green live, its log, and a build forced from the force dialog")
        func buildbotUI() async throws {
            let python = try #require(WebTestTools.playwrightPython)
            let chromium = try #require(WebTestTools.chromium)
            let folder = try #require(BuildbotWWW.staticFolder)
            let artifacts = WebTestTools.packageRoot.appendingPathComponent(".build/browser-artifacts/buildbot-ui")
            try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
            // As the browser suite: once the rest of the suite has quietened, and at a lower priority.
            try await QuietMachine.wait()
            let run = try await ToolRun.run(
                "/usr/bin/nice",
                [
                    "-n", "10", python, "Tests/Browser/buildbot_ui.py", GantryProcess.executable.path, folder,
                    artifacts.path, "--chromium", chromium,
                ],
                in: WebTestTools.packageRoot, output: artifacts.appendingPathComponent("buildbot_ui.log"),
                environment: ["PYTHONUNBUFFERED": "1"], limit: .seconds(420))
            #expect(
                run.status == 0 && !run.timedOut,
                "the Buildbot UI browser test \(run.ending); screenshots and logs are in \(artifacts.path):\n\(run.output)"
            )
        }
    }
}

/// The buildbot-www installed beside the Buildbot master the tests are given.
enum BuildbotWWW {
    /// Its `static` folder, in the virtual environment of `GANTRY_TEST_BUILDBOT_MASTER`'s `buildbot`
    /// (`VENV/bin/buildbot` → `VENV/lib/python3*/site-packages/buildbot_www/static`); `nil` without one.
    static var staticFolder: String? {
        guard let buildbot = BuildbotMasterProcess.executable else { return nil }
        let environment = URL(fileURLWithPath: buildbot).deletingLastPathComponent().deletingLastPathComponent()
        let lib = environment.appendingPathComponent("lib")
        let pythons = (try? FileManager.default.contentsOfDirectory(atPath: lib.path)) ?? []
        return pythons.filter { $0.hasPrefix("python3") }.sorted().map {
            lib.appendingPathComponent($0).appendingPathComponent("site-packages/buildbot_www/static").path
        }.first { FileManager.default.fileExists(atPath: $0 + "/index.html") }
    }
}
