import Foundation
import GantryBuilds
import GantryModel
import GantryStorage
import GantryTesting
import GantryWorkers
import Testing

/// Builds run by `BuildRunner` on an unmodified buildbot-worker 4.3.
@Suite(
    "Builds on a real buildbot-worker", .paced,
    .enabled(if: BuildbotWorkerProcess.executable != nil, "GANTRY_TEST_BUILDBOT_WORKER is not set"),
    .timeLimit(.minutes(3))
)
struct BuildRunnerTests {
    private func step(_ name: String, _ command: String, halt: Bool = false) -> Step {
        var step = Step.shell(name, .shell(command))
        step.haltOnFailure = halt
        return step
    }

    /// Runs one build of `steps` on a fresh real worker and hands `check` the database, the claimed request,
    /// the worker's id and the build.
    private func runBuild(
        _ steps: [Step], on backend: TestBackend = .sqlite,
        _ check: (Database, BuildRequest, Int, (buildID: Int, results: BuildResult)) async throws -> Void
    ) async throws {
        try await withTestDatabase(backend) { db in
            try await WorkerPortHarness.withPort(passwords: ["wk1": "pass1"]) { harness in
                let (worker, link, info) = try await harness.connect(name: "wk1", password: "pass1")
                defer { Task { await worker.stop() } }
                let (master, workerID, request) = try await claimedRequest(in: db)
                let runner = BuildRunner(database: db, masterID: master, logger: silentLogger)
                let built = try await runner.run(
                    .init(
                        request: request, builderName: "b1", workerID: workerID, link: link, info: info,
                        steps: steps))
                try await check(db, request, workerID, built)
            }
        }
    }

    @Test("steps run in order with their output stored line by line; a failing haltOnFailure step ends the build")
    func build() async throws {
        let steps = [
            step("greet", "echo hello; echo err 1>&2"), step("test", "echo testing; exit 2", halt: true),
            step("never", "echo never"),
        ]
        try await runBuild(steps) { db, request, workerID, built in
            let (buildID, results) = built
            #expect(results == .failure)
            let build = try #require(try await db.builds.getBuild(buildID))
            #expect(build.results == .failure && build.number == 1 && build.workerID == workerID)
            let steps = try await db.steps.getSteps(buildid: buildID)
            #expect(steps.map(\.name) == ["greet", "test"])
            #expect(steps.map(\.results) == [.success, .failure])
            let log = try #require(try await db.logs.getLogs(stepid: steps[0].id).first)
            let text = try await db.logs.getLogLines(log.id, first: 0, last: log.numLines)
            #expect(
                text.contains("ohello\n") && text.contains("eerr\n")
                    && text.contains("hecho hello; echo err 1>&2\n"))
            let done = try await db.buildRequests.getBuildRequest(request.id)
            #expect(done?.complete == true && done?.results == .failure)
        }
    }

    @Test("a step that ends EXCEPTION ends the build: later steps do not run")
    func exceptionEndsBuild() async throws {
        try await runBuild([step("broken", "echo %(secret:nosuch)s"), step("never", "echo never")]) {
            db, request, _, built in
            let (buildID, results) = built
            #expect(results == .exception)
            let steps = try await db.steps.getSteps(buildid: buildID)
            #expect(steps.map(\.name) == ["broken"])
            #expect(steps.map(\.results) == [.exception])
            let done = try await db.buildRequests.getBuildRequest(request.id)
            #expect(done?.complete == true && done?.results == .exception)
        }
    }

    @Test(
        "a log keeps what the command printed: NUL, invalid UTF-8, progress lines, a 10 MB line",
        arguments: TestBackend.enabled)
    func outputKept(_ backend: TestBackend) async throws {
        let printing = #"printf 'a\000b\n\377\n10%%\r50%%\r100%%\n'; head -c 10000000 /dev/zero | tr '\000' x; echo"#
        try await runBuild([step("print", printing)], on: backend) { db, _, _, built in
            let (buildID, results) = built
            #expect(results == .success)
            let steps = try await db.steps.getSteps(buildid: buildID)
            let log = try #require(try await db.logs.getLogs(stepid: steps[0].id).first)
            let text = try await db.logs.getLogLines(log.id, first: 0, last: log.numLines)
            #expect(text.contains("oa\u{0}b\n"))
            #expect(text.contains("o\u{FFFD}\n"))
            // Buildbot's newline_re, which the master sends, makes each progress step a line of its own.
            #expect(text.contains("o10%\no50%\no100%\n"))
            // The worker cuts the 10 MB line at max_line_length (4096); every piece is stored.
            let pieces = text.split(separator: "\n").filter { $0.hasPrefix("ox") }
            #expect(pieces.count > 1000 && pieces.allSatisfy { $0.utf8.count <= 4097 })
        }
    }

    /// A build whose first step sleeps for 30 s, on a fresh real worker; returned once that step runs.
    private func sleepingBuild(_ db: Database, _ harness: WorkerPortHarness) async throws -> (
        worker: BuildbotWorkerProcess, job: BuildRunner.Assignment, request: BuildRequest,
        build: Task<(buildID: Int, results: BuildResult), any Error>
    ) {
        let (worker, link, info) = try await harness.connect(name: "wk1", password: "pass1")
        let (runner, job) = try await claimedAssignment(
            in: db, link: link, info: info,
            steps: [step("sleep", "echo started; sleep 30"), step("after", "echo after")])
        let build = Task { try await runner.run(job) }
        #expect(await waitUntil { (try? await db.steps.getSteps(buildid: 1).first?.startedAt) != nil })
        return (worker, job, job.request, build)
    }

    @Test("a worker killed mid-step ends the step and the build RETRY and hands the request back at once")
    func workerLost() async throws {
        try await withTestDatabase(.sqlite) { db in
            try await WorkerPortHarness.withPort(passwords: ["wk1": "pass1"]) { harness in
                let (worker, _, request, build) = try await sleepingBuild(db, harness)
                worker.send(SIGKILL)
                let (buildID, results) = try await build.value
                #expect(results == .retry)
                #expect(try await db.steps.getSteps(buildid: buildID).map(\.results) == [.retry])
                let pending = try await db.buildRequests.getBuildRequests(complete: false, claimed: .unclaimed)
                #expect(pending.map(\.id) == [request.id])
                _ = await worker.waitForExit()
            }
        }
    }

    @Test("stopping a build interrupts its step on the worker: step and build CANCELLED, later steps not run")
    func stop() async throws {
        try await withTestDatabase(.sqlite) { db in
            try await WorkerPortHarness.withPort(passwords: ["wk1": "pass1"]) { harness in
                let (worker, job, request, build) = try await sleepingBuild(db, harness)
                defer { Task { await worker.stop() } }
                let clock = ContinuousClock()
                let stoppedAt = clock.now
                await job.control.stop(reason: "stopped by ada")
                let (buildID, results) = try await build.value
                #expect(clock.now - stoppedAt < .seconds(20), "the 30 s sleep was interrupted")
                #expect(results == .cancelled)
                let steps = try await db.steps.getSteps(buildid: buildID)
                #expect(steps.map(\.name) == ["sleep"] && steps.map(\.results) == [.cancelled])
                let log = try #require(try await db.logs.getLogs(stepid: steps[0].id).first)
                let text = try await db.logs.getLogLines(log.id, first: 0, last: log.numLines)
                #expect(text.contains("hstopped: stopped by ada\n"))
                let done = try await db.buildRequests.getBuildRequest(request.id)
                #expect(done?.complete == true && done?.results == .cancelled)
            }
        }
    }
}
