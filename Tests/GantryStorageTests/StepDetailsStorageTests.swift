import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("Step links, final state strings and properties read for many builds", .paced, .timeLimit(.minutes(3)))
struct StepDetailsStorageTests {
    let time = ManualWallClock()

    /// A buildset with `properties` and one request of builder `linux`; the request and buildset ids.
    private func request(_ db: Database, properties: [String: JSONValue] = [:]) async throws -> (id: Int, bsid: Int) {
        let linux = try await db.builders.findBuilderId("linux")
        let (bsid, requests) = try await db.buildsets.addBuildset(
            reason: "r", builderids: [linux], properties: properties)
        return (try #require(requests[linux]), bsid)
    }

    /// A build of request `request` of builder `linux`; its id.
    private func newBuild(_ db: Database, of request: Int) async throws -> Int {
        let master = try await db.masters.findMasterId("m1")
        let linux = try await db.builders.findBuilderId("linux")
        return try await db.builds.addBuild(builderid: linux, buildrequestid: request, workerid: nil, masterid: master)
            .id
    }

    @Test(
        "links are kept in order, once each, each addition an updated event; the end sets state and hidden",
        arguments: TestBackend.enabled)
    func links(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let build = try await newBuild(db, of: try await request(db).id)
            let step = try await db.steps.addStep(buildid: build, name: "test")
            #expect(try await db.steps.getStep(step.id)?.urls == [])
            let before = try await db.events.latestEventID()
            try await db.steps.addStepURL(step.id, name: "report", url: "https://ci.example.org/1")
            try await db.steps.addStepURL(step.id, name: "coverage", url: "https://ci.example.org/1/cov")
            try await db.steps.addStepURL(step.id, name: "report", url: "https://ci.example.org/1")
            let stored = try #require(try await db.steps.getStep(step.id))
            #expect(
                stored.urls == [
                    StepURL(name: "report", url: "https://ci.example.org/1"),
                    StepURL(name: "coverage", url: "https://ci.example.org/1/cov"),
                ])
            let events = try await db.events.events(after: before, limit: 10)
            #expect(events.map(\.key) == ["steps/\(step.id)/updated", "steps/\(step.id)/updated"])
            #expect(events.last?.payload["urls"]?.elements.count == 2)
            let first: JSONValue = ["name": "report", "url": "https://ci.example.org/1"]
            #expect(events.last?.payload["urls"]?.elements.first == first)
            let missing = await #expect(throws: GantryError.self) {
                try await db.steps.addStepURL(999, name: "x", url: "https://example.org")
            }
            #expect(missing?.code == .notFound)

            try await db.steps.finishStep(step.id, results: .success, stateString: "'make test'", hidden: true)
            let finished = try #require(try await db.steps.getStep(step.id))
            #expect(finished.stateString == "'make test'" && finished.hidden && finished.results == .success)
            let event = try #require(try await db.events.events(after: before, limit: 10).last)
            #expect(event.key == "steps/\(step.id)/finished" && event.payload["state_string"] == "'make test'")
        }
    }

    @Test(
        "the properties asked for of many builds and buildsets, read in batches; none asked, none read",
        arguments: TestBackend.enabled)
    func properties(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            // More builds than one batch of ids takes.
            let shared = try await request(db).id
            var builds: [Int] = []
            for index in 0..<520 {
                let build = try await newBuild(db, of: shared)
                try await db.builds.setBuildProperties(
                    build, ["branch": ["main", "Build"], "number": [.number(Double(index)), "Build"]])
                builds.append(build)
            }
            var buildsets: [Int] = []
            for owner in ["ada", "grace"] {
                buildsets.append(try await request(db, properties: ["owner": [.string(owner), "Force"]]).bsid)
            }
            let all = try await db.builds.getBuildProperties(buildids: builds, selecting: .all)
            #expect(all.count == 520 && all[builds[519]] == ["branch": ["main", "Build"], "number": [519, "Build"]])
            let named = try await db.builds.getBuildProperties(
                buildids: builds + [999_999], selecting: .named(["number", "missing"]))
            #expect(named.count == 520 && named[builds[3]] == ["number": [3, "Build"]])
            #expect(try await db.builds.getBuildProperties(buildids: builds, selecting: .named([])).isEmpty)
            #expect(try await db.builds.getBuildProperties(buildids: [], selecting: .all).isEmpty)

            let sets = try await db.buildsets.getBuildsetProperties(bsids: buildsets, selecting: .named(["owner"]))
            #expect(sets == [buildsets[0]: ["owner": ["ada", "Force"]], buildsets[1]: ["owner": ["grace", "Force"]]])
            #expect(try await db.buildsets.getBuildsetProperties(bsids: buildsets, selecting: .named(["x"])).isEmpty)
        }
    }
}
