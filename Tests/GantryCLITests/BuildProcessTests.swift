import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

/// Forced builds on a real `gantry master`, run by unmodified buildbot-workers.
@Suite(
    "builds on a gantry master",
    .enabled(if: BuildbotWorkerProcess.executable != nil, "GANTRY_TEST_BUILDBOT_WORKER is not set"),
    .timeLimit(.minutes(1))
)
struct BuildProcessTests {
    /// A running master with `workers` (named `wk1`, `wk2`... with passwords `pass1`, `pass2`...) connected,
    /// configured with `builders` and `schedulers` (YAML lists); `body` gets the master, its API's address, its
    /// database and the worker processes.
    private func withMaster(
        workers count: Int = 1, builders: String, schedulers: String,
        _ body: (MasterProcess, URL, Database, [BuildbotWorkerProcess]) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-bp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let names = (1...count).map { (name: "wk\($0)", password: "pass\($0)") }
        let master = try MasterProcess(
            name: "bmaster",
            config: """
                name: bmaster
                http: 127.0.0.1:0
                workerPort: {address: "127.0.0.1:0"}
                workers: [\(names.map { "{name: \($0.name), password: \($0.password)}" }.joined(separator: ", "))]
                builders:
                \(builders)
                schedulers:
                \(schedulers)
                """,
            directory: directory
        )
        defer { master.send(SIGKILL) }
        let http = try #require(try await master.httpPort(), "\(master.logText)")
        let port = try #require(try await master.workerPort(), "\(master.logText)")
        var workers: [BuildbotWorkerProcess] = []
        defer { for worker in workers { Task { await worker.stop() } } }
        for (name, password) in names {
            workers.append(
                try await BuildbotWorkerProcess(name: name, password: password, masterPort: port, directory: directory))
        }
        let connected = await waitUntil {
            master.logText.components(separatedBy: "worker connected").count > count
        }
        #expect(connected, "\(master.logText)")
        let base = try #require(URL(string: "http://127.0.0.1:\(http)"))
        let url = DatabaseURL.sqlite(.file(path: directory.appendingPathComponent("gantry.sqlite").path))
        try await Database.withDatabase(url, logger: silentLogger) { db in try await body(master, base, db, workers) }
    }

    private func force(_ base: URL) async throws {
        let forced = try await httpPost(
            base, "/api/v2/forceschedulers/force", body: #"{"jsonrpc": "2.0", "method": "force", "id": 1}"#)
        #expect(forced.status == 200)
    }

    /// The stdio log of build `build`'s step `index`.
    private func log(_ db: Database, build: Int, step index: Int) async throws -> String {
        let step = try await db.steps.getSteps(buildid: build)[index]
        let log = try #require(try await db.logs.getLogs(stepid: step.id).first)
        return try await db.logs.getLogLines(log.id, first: 0, last: log.numLines)
    }

    @Test("a forced request is claimed, built on the connected worker step by step, logged and completed")
    func forcedBuild() async throws {
        try await withMaster(
            builders: """
                  - name: b1
                    workers: [wk1]
                    steps:
                      - {name: hello, shell: "echo hello from $GREETING", env: {GREETING: gantry}}
                      - {name: argv, shell: [printf, "%s\\\\n", two words]}
                      - {name: flaky, shell: "exit 1", decodeRC: {0: success, 1: warnings}}
                """,
            schedulers: "  - {name: force, type: force, builderNames: [b1]}"
        ) { master, base, db, _ in
            try await force(base)
            let built = try await waitUntil { try await db.buildRequests.getBuildRequests(complete: true).count == 1 }
            #expect(built, "\(master.logText)")
            let build = try #require(try await db.builds.getBuilds().first)
            #expect(build.results == .warnings && build.number == 1)
            let steps = try await db.steps.getSteps(buildid: build.id)
            #expect(steps.map(\.name) == ["hello", "argv", "flaky"])
            #expect(steps.map(\.results) == [.success, .success, .warnings])
            #expect(try await log(db, build: build.id, step: 0).contains("ohello from gantry\n"))
            #expect(try await log(db, build: build.id, step: 1).contains("otwo words\n"))
            #expect(try await db.buildRequests.getBuildRequests().first?.results == .warnings)
            #expect(try await db.buildsets.getBuildsets().first?.complete == true)
        }
    }

    @Test(
        "a Trigger step with waitForFinish builds the triggered builder with the given properties and takes its result")
    func trigger() async throws {
        try await withMaster(
            workers: 2,
            builders: """
                  - name: parent
                    workers: [wk1]
                    steps:
                      - {name: version, shell: echo 4.2, setProperty: version}
                      - trigger: {schedulerNames: [tests], waitForFinish: true, set_properties: {v: "%(prop:version)s"}}
                  - name: child
                    workers: [wk2]
                    steps:
                      - {name: check, shell: "echo testing %(prop:v)s; exit 3", decodeRC: {0: success, 3: warnings}}
                """,
            schedulers: """
                  - {name: force, type: force, builderNames: [parent]}
                  - {name: tests, type: triggerable, builderNames: [child]}
                """
        ) { master, base, db, _ in
            #expect(
                await waitUntil {
                    (try? await httpGetText(base, "/api/v2/schedulers"))?.text.contains("\"master\":{") == true
                })
            try await force(base)
            let built = try await waitUntil { try await db.buildRequests.getBuildRequests(complete: true).count == 2 }
            #expect(built, "\(master.logText)")
            let builds = try await db.builds.getBuilds()
            #expect(builds.map(\.results) == [.warnings, .warnings], "the parent takes the child's result")
            let child = try #require(builds.last)
            #expect(try await db.builds.getBuildProperties(child.id)["v"] == ["4.2", "Trigger"])
            #expect(try await log(db, build: child.id, step: 0).contains("otesting 4.2\n"))
        }
    }

    @Test("the CLI controls a running master: stop a build, pause, rebuild, cancel, kill the worker")
    func control() async throws {
        try await withMaster(
            builders: "  - {name: b1, workers: [wk1], steps: [{name: sleep, shell: \"sleep 30\"}]}",
            schedulers: "  - {name: force, type: force, builderNames: [b1]}"
        ) { _, base, db, workers in
            let api = ["--master", base.absoluteString]
            try await force(base)
            #expect(try await waitUntil { try await db.steps.getSteps(buildid: 1).first?.startedAt != nil })
            let stop = try await GantryProcess.run(["builds", "stop", "1", "--reason", "from the cli"] + api)
            #expect(stop.status == 0 && stop.standardOutput == "stop requested\n", "\(stop.standardError)")
            #expect(try await waitUntil { try await db.builds.getBuild(1)?.results == .cancelled })
            #expect(try await log(db, build: 1, step: 0).contains("hstopped: from the cli\n"))
            let logs = try await GantryProcess.run(["logs", "1", "--follow"] + api)
            #expect(
                logs.status == 0 && logs.standardOutput.hasSuffix("stopped: from the cli\n"), "\(logs.standardError)")

            let pause = try await GantryProcess.run(["workers", "pause", "wk1", "--reason", "maintenance"] + api)
            #expect(pause.status == 0, "\(pause.standardError)")
            let listed = try await GantryProcess.run(["workers", "--db", db.url.textWithPassword])
            #expect(listed.standardOutput.contains("paused (maintenance)"), "\(listed.standardError)")
            let rebuild = try await GantryProcess.run(["builds", "rebuild", "1"] + api)
            #expect(rebuild.standardOutput == "buildset 2, build request 2\n", "\(rebuild.standardError)")
            let cancel = try await GantryProcess.run(["buildrequests", "cancel", "2"] + api)
            #expect(cancel.standardOutput == "cancelled\n")
            #expect(try await db.buildRequests.getBuildRequest(2)?.results == .cancelled)
            #expect(try await db.builds.getBuilds().count == 1, "a paused worker took nothing")
            let again = try await GantryProcess.run(["buildrequests", "cancel", "2"] + api)
            #expect(again.status != 0 && again.standardError.contains("build request 2 is already complete"))

            let kill = try await GantryProcess.run(["workers", "kill", "wk1"] + api)
            #expect(kill.standardOutput == "kill requested\n")
            #expect(await workers[0].waitForExit() != nil, "the worker was shut down")
        }
    }
}
