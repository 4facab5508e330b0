import Foundation
import GantryTesting
import Testing

/// The web UI's scripts under Node.js's test runner: what `live.js` and `log.js` decide without a browser.
@Suite(
    "The web UI's JavaScript", .paced,
    .enabled(if: WebTestTools.node != nil, "GANTRY_TEST_NODE is not set and there is no node on PATH"),
    .timeLimit(.minutes(3))
)
struct JavaScriptTests {
    @Test("node --test passes the test files of Tests/Web")
    func nodeTests() async throws {
        let node = try #require(WebTestTools.node)
        let directory = WebTestTools.packageRoot.appendingPathComponent("Tests/Web")
        let files = WebTestTools.javaScriptTests(in: directory)
        try #require(!files.isEmpty, "no test files (such as name.test.mjs) in \(directory.path)")
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-node-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let run = try await ToolRun.run(
            node, ["--test"] + files, in: WebTestTools.packageRoot, output: output, limit: .seconds(120))
        #expect(run.status == 0 && !run.timedOut, "node --test \(run.ending):\n\(run.output)")
    }
}
