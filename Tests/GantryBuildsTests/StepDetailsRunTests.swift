import Foundation
import GantryBuilds
import GantryModel
import GantryStorage
import GantryTesting
import GantryWorkers
import Testing

/// State strings, links, hideStepIf and doStepIf of steps run by `BuildRunner` on an unmodified buildbot-worker 4.3.
@Suite(
    "Step state strings, links and conditions on a real buildbot-worker", .paced,
    .enabled(if: BuildbotWorkerProcess.executable != nil, "GANTRY_TEST_BUILDBOT_WORKER is not set"),
    .timeLimit(.minutes(3))
)
struct StepDetailsRunTests {
    @Test("each step's state string says what it did; links are added; skipped steps leave the build's result alone")
    func build() async throws {
        var greet = Step.shell("greet", .shell("echo hello"))
        greet.description = "greeting %(prop:buildername)s"
        greet.descriptionDone = "greeted"
        greet.urls = [
            StepURL(name: "report %(prop:buildnumber)s", url: "https://ci.example.org/%(prop:buildnumber)s"),
            StepURL(name: "bad", url: "%(prop:evil)s"),
        ]
        greet.hideStepIf = [.success]
        var lenient = Step.shell("lenient", .shell("exit 1"))
        lenient.flunkOnFailure = false
        lenient.hideStepIf = [.success]
        var skipped = Step.shell("deploy", .argv(["echo", "deploying", "now"]))
        skipped.doStepIf = StepCondition(property: "branch", .equals("main"))
        let plain = Step.shell("done", .shell("echo done"))

        try await withTestDatabase(.sqlite) { db in
            try await WorkerPortHarness.withPort(passwords: ["wk1": "pass1"]) { harness in
                let (worker, link, info) = try await harness.connect(name: "wk1", password: "pass1")
                defer { Task { await worker.stop() } }
                let (master, workerID, request) = try await claimedRequest(in: db)
                let runner = BuildRunner(database: db, masterID: master, logger: silentLogger)
                var job = BuildRunner.Assignment(
                    request: request, builderName: "b1", workerID: workerID, link: link, info: info,
                    steps: [greet, lenient, skipped, plain])
                job.properties = ["evil": "javascript:alert(1)"]
                let (buildID, results) = try await runner.run(job)
                #expect(results == .success)

                let steps = try await db.steps.getSteps(buildid: buildID)
                #expect(steps.map(\.results) == [.success, .failure, .skipped, .success])
                #expect(
                    steps.map(\.stateString) == [
                        "greeted", "'exit 1' (failure)", "'echo deploying ...' (skipped)", "'echo done'",
                    ])
                #expect(steps.map(\.hidden) == [true, false, false, false])
                #expect(steps[0].urls == [StepURL(name: "report 1", url: "https://ci.example.org/1")])
                #expect(steps.dropFirst().allSatisfy { $0.urls.isEmpty })
                let log = try #require(try await db.logs.getLogs(stepid: steps[0].id).first)
                let text = try await db.logs.getLogLines(log.id, first: 0, last: log.numLines)
                #expect(text.contains("hlink 'bad' not added: 'javascript:alert(1)' is not an http or https address\n"))
                #expect(text.contains("ohello\n"))
            }
        }
    }

    @Test("a step shows its description, rendered, while it runs")
    func running() async throws {
        var wait = Step.shell("wait", .shell("sleep 30"))
        wait.description = "waiting on %(prop:buildername)s"
        try await withTestDatabase(.sqlite) { db in
            try await WorkerPortHarness.withPort(passwords: ["wk1": "pass1"]) { harness in
                let (worker, link, info) = try await harness.connect(name: "wk1", password: "pass1")
                defer { Task { await worker.stop() } }
                let (master, workerID, request) = try await claimedRequest(in: db)
                let runner = BuildRunner(database: db, masterID: master, logger: silentLogger)
                let job = BuildRunner.Assignment(
                    request: request, builderName: "b1", workerID: workerID, link: link, info: info, steps: [wait])
                let running = Task { try await runner.run(job) }
                #expect(
                    await waitUntil {
                        guard let build = try? await db.builds.getBuilds(buildrequestid: request.id).first else {
                            return false
                        }
                        let steps = (try? await db.steps.getSteps(buildid: build.id)) ?? []
                        return steps.first?.stateString == "waiting on b1"
                    })
                await job.control.stop(reason: "seen")
                #expect(try await running.value.results == .cancelled)
            }
        }
    }
}
