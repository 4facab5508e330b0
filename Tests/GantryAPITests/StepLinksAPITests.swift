import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("HTTP API and UI: step links and hidden steps", .paced, .timeLimit(.minutes(3)))
struct StepLinksAPITests {
    @Test("a step's urls are served by the API and shown, escaped, on the build page; hidden steps are not shown")
    func links() async throws {
        try await withTestDatabase(.sqlite) { db in
            let build = try await startedBuild(db)
            let test = try await db.steps.addStep(buildid: build.id, name: "test")
            try await db.steps.addStepURL(test.id, name: "report <1>", url: "https://ci.example.org/r?a=1&b=2")
            try await db.steps.finishStep(test.id, results: .failure, stateString: "'make test' (failure)")
            let quiet = try await db.steps.addStep(buildid: build.id, name: "quiet-step")
            try await db.steps.finishStep(quiet.id, results: .success, stateString: "finished", hidden: true)
            try await withAPIServer(db) { base in
                let steps = try await httpGet(base, "/api/v2/builds/\(build.id)/steps")
                let link: JSONValue = ["name": "report <1>", "url": "https://ci.example.org/r?a=1&b=2"]
                #expect(steps["steps", 0, "urls"] == [link])
                #expect(steps["steps", 0, "state_string"] == "'make test' (failure)")
                #expect(steps["steps", 1, "urls"] == [] && steps["steps", 1, "hidden"] == true)
                let urls = try await httpGet(base, "/api/v2/builds/\(build.id)/steps?field=urls&name=test")
                #expect(urls["steps"] == [["urls": [link]]])

                let page = try await httpGetText(base, "/builds/\(build.id)")
                #expect(page.status == 200)
                let anchor =
                    #"<a href="https://ci.example.org/r?a=1&amp;b=2" rel="noopener noreferrer nofollow">"#
                    + "report &lt;1&gt;</a>"
                #expect(page.text.contains(anchor))
                #expect(page.text.contains("&#39;make test&#39; (failure)"))
                #expect(!page.text.contains("quiet-step"), "a hidden step is not shown")
            }
        }
    }
}
