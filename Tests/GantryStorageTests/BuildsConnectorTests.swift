import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("Builds, steps and logs", .paced, .timeLimit(.minutes(3)))
struct BuildsConnectorTests {
    let time = ManualWallClock()

    /// A master, a worker and one pending request on each of builders `a` and `b`.
    private func requests(_ db: Database) async throws -> (master: Int, worker: Int, a: (Int, Int), b: (Int, Int)) {
        let master = try await db.masters.findMasterId("m1")
        let worker = try await db.workers.findWorkerId("wk1")
        let a = try await db.builders.findBuilderId("a")
        let b = try await db.builders.findBuilderId("b")
        let (_, requests) = try await db.buildsets.addBuildset(reason: "test", builderids: [a, b])
        return (master, worker, (a, try #require(requests[a])), (b, try #require(requests[b])))
    }

    @Test(
        "builds are numbered per builder from 1, finish once, and keep their properties", arguments: TestBackend.enabled
    )
    func builds(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let r = try await requests(db)
            let first = try await db.builds.addBuild(
                builderid: r.a.0, buildrequestid: r.a.1, workerid: r.worker, masterid: r.master)
            let second = try await db.builds.addBuild(
                builderid: r.a.0, buildrequestid: r.a.1, workerid: r.worker, masterid: r.master)
            let other = try await db.builds.addBuild(
                builderid: r.b.0, buildrequestid: r.b.1, workerid: nil, masterid: r.master)
            #expect([first.number, second.number, other.number] == [1, 2, 1])
            try await db.builds.finishBuild(first.id, results: .failure)
            try await db.builds.finishBuild(first.id, results: .success)
            let finished = try #require(try await db.builds.getBuild(first.id))
            #expect(finished.results == .failure && finished.completeAt != nil && finished.stateString == "created")
            #expect(try await db.builds.getBuilds(builderid: r.a.0, complete: false).map(\.id) == [second.id])
            try await db.builds.setBuildStateString(second.id, "compiling")
            #expect(try await db.builds.getBuild(second.id)?.stateString == "compiling")
            #expect(try await db.builds.getBuilds(buildrequestid: r.b.1).map(\.number) == [1])
            try await db.builds.setBuildProperty(second.id, name: "got_revision", value: "abc", source: "Git")
            try await db.builds.setBuildProperty(second.id, name: "got_revision", value: "def", source: "Git")
            #expect(try await db.builds.getBuildProperties(second.id) == ["got_revision": ["def", "Git"]])
            let missing = await #expect(throws: GantryError.self) {
                try await db.builds.addBuild(builderid: 999, buildrequestid: r.a.1, workerid: nil, masterid: r.master)
            }
            #expect(missing?.code == .notFound)
        }
    }

    @Test(
        "steps are numbered from 0, a repeated name gets _2, and a step finishes once", arguments: TestBackend.enabled)
    func steps(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let r = try await requests(db)
            let build = try await db.builds.addBuild(
                builderid: r.a.0, buildrequestid: r.a.1, workerid: r.worker, masterid: r.master)
            let compile = try await db.steps.addStep(buildid: build.id, name: "compile")
            let again = try await db.steps.addStep(buildid: build.id, name: "compile")
            let third = try await db.steps.addStep(buildid: build.id, name: "compile")
            #expect([compile.name, again.name, third.name] == ["compile", "compile_2", "compile_3"])
            #expect([compile.number, again.number, third.number] == [0, 1, 2])
            try await db.steps.startStep(compile.id)
            try await db.steps.setStepStateString(compile.id, "compiling")
            try await db.steps.finishStep(compile.id, results: .warnings)
            try await db.steps.finishStep(compile.id, results: .success)
            let stored = try #require(try await db.steps.getStep(compile.id))
            #expect(stored.results == .warnings && stored.startedAt != nil && stored.stateString == "compiling")
            #expect(
                try await db.steps.getSteps(buildid: build.id).map(\.name) == ["compile", "compile_2", "compile_3"])
        }
    }

    @Test(
        "log lines are appended in chunks and read back by line number while the log grows",
        arguments: TestBackend.enabled)
    func logs(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let r = try await requests(db)
            let build = try await db.builds.addBuild(
                builderid: r.a.0, buildrequestid: r.a.1, workerid: r.worker, masterid: r.master)
            let step = try await db.steps.addStep(buildid: build.id, name: "test")
            let stdio = try await db.logs.addLog(stepid: step.id, name: "stdio", kind: .stdio)
            let report = try await db.logs.addLog(stepid: step.id, name: "test report.xml", kind: .text)
            _ = try await db.logs.addLog(stepid: step.id, name: "test report.xml", kind: .text)
            #expect(try await db.logs.appendLog(stdio, "ohello\n") == 0...0)
            #expect(try await db.logs.appendLog(stdio, "oworld\neerr\n") == 1...2)
            #expect(try await db.logs.getLogLines(stdio, first: 1, last: 5) == "oworld\neerr\n")
            #expect(try await db.logs.getLogLines(stdio, first: 0, last: 1) == "ohello\noworld\n")
            let partial = await #expect(throws: GantryError.self) { try await db.logs.appendLog(stdio, "no newline") }
            #expect(partial?.code == .invalidArgument)
            try await db.logs.finishLog(stdio)
            let logs = try await db.logs.getLogs(stepid: step.id)
            #expect(logs.map(\.slug) == ["stdio", "test_report_xml", "test_report_xml_2"])
            #expect(logs.first?.complete == true && logs.first?.numLines == 3 && logs.first?.kind == .stdio)
            #expect(logs.map(\.id).contains(report))
        }
    }

    @Test(
        "a stopped master's unfinished builds end RETRY and their requests are pending again",
        arguments: TestBackend.enabled)
    func retryOnMasterLoss(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let r = try await requests(db)
            try await db.buildRequests.claimBuildRequests([r.a.1, r.b.1], masterid: r.master)
            let done = try await db.builds.addBuild(
                builderid: r.b.0, buildrequestid: r.b.1, workerid: r.worker, masterid: r.master)
            try await db.builds.finishBuild(done.id, results: .success)
            try await db.buildRequests.completeBuildRequests([r.b.1], results: .success, masterid: r.master)
            let running = try await db.builds.addBuild(
                builderid: r.a.0, buildrequestid: r.a.1, workerid: r.worker, masterid: r.master)
            try await db.masters.masterStopped(r.master)
            #expect(try await db.builds.getBuild(running.id)?.results == .retry)
            #expect(try await db.builds.getBuild(done.id)?.results == .success)
            #expect(try await db.buildRequests.getBuildRequests(claimed: .unclaimed).map(\.id) == [r.a.1])
        }
    }
}
