import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

extension ProcessTests {
    /// Forced builds on a real `gantry master`, run by unmodified buildbot-workers.
    @Suite(
        "builds on a gantry master",
        .enabled(if: BuildbotWorkerProcess.executable != nil, "GANTRY_TEST_BUILDBOT_WORKER is not set"),
        .timeLimit(.minutes(3))
    )
    struct BuildProcessTests {
        @Test("a forced request is claimed, built on the connected worker step by step, logged and completed")
        func forcedBuild() async throws {
            try await withBuildMaster(
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
                try await forceAndWait(base, db, master)
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
            "a Trigger step with waitForFinish builds the triggered builder with the given properties and takes its result; one to a NightlyTriggerable is recorded for its next time"
        )
        func trigger() async throws {
            try await withBuildMaster(
                workers: 2,
                builders: """
                      - name: parent
                        workers: [wk1]
                        steps:
                          - {name: version, shell: echo 4.2, setProperty: version}
                          - trigger: {schedulerNames: [tests], waitForFinish: true, set_properties: {v: "%(prop:version)s"}}
                          - {name: tonight, trigger: {schedulerNames: [later], set_properties: {v: "%(prop:version)s"}}}
                      - name: child
                        workers: [wk2]
                        steps:
                          - {name: check, shell: "echo testing %(prop:v)s; exit 3", decodeRC: {0: success, 3: warnings}}
                    """,
                schedulers: """
                      - {name: force, type: force, builderNames: [parent]}
                      - {name: tests, type: triggerable, builderNames: [child]}
                      - {name: later, type: nightlyTriggerable, builderNames: [child], hour: 3, minute: 0}
                    """
            ) { master, base, db, _ in
                #expect(
                    await waitUntil {
                        (try? await httpGetText(base, "/api/v2/schedulers"))?.text.contains("\"master\":{") == true
                    })
                try await forceAndWait(base, db, master, complete: 2)
                let builds = try await db.builds.getBuilds()
                #expect(builds.map(\.results) == [.warnings, .warnings], "the parent takes the child's result")
                let child = try #require(builds.last)
                #expect(try await db.builds.getBuildProperties(child.id)["v"] == ["4.2", "Trigger"])
                #expect(try await log(db, build: child.id, step: 0).contains("otesting 4.2\n"))
                let parent = try #require(builds.first)
                #expect(
                    try await db.steps.getSteps(buildid: parent.id).map(\.results) == [.success, .warnings, .success])
                let later = try await db.state.getObjectId("later", className: "NightlyTriggerable")
                let recorded = try await db.state.getState(later, "lastTrigger", default: .null)
                #expect(
                    recorded.jsonText.contains("\"v\":[\"4.2\",\"Trigger\"]"),
                    "waits for 03:00 with its properties: \(recorded.jsonText)")
            }
        }

        @Test("stopping a build whose Trigger step waits cancels the builds it triggered, running or waiting")
        func stopCancelsTriggered() async throws {
            try await withBuildMaster(
                workers: 2,
                builders: """
                      - name: parent
                        workers: [wk1]
                        steps:
                          - trigger: {schedulerNames: [tests], waitForFinish: true}
                      - {name: child, workers: [wk2], steps: [{name: long, shell: "sleep 300"}]}
                      - {name: idle, workers: [], steps: [{name: never, shell: "true"}]}
                    """,
                schedulers: """
                      - {name: force, type: force, builderNames: [parent]}
                      - {name: tests, type: triggerable, builderNames: [child, idle]}
                    """
            ) { master, base, db, _ in
                try await force(base)
                let child = try await db.builders.findBuilderId("child")
                let running = try await waitUntil {
                    guard let build = try await db.builds.getBuilds(builderid: child).first else { return false }
                    return try await db.steps.getSteps(buildid: build.id).first?.startedAt != nil
                }
                #expect(running, "\(master.logText)")
                let parent = try #require(try await db.builds.getBuilds().first)
                let stop = try await GantryProcess.run(
                    ["builds", "stop", "\(parent.id)", "--master", base.absoluteString])
                #expect(stop.status == 0, "\(stop.standardError)")
                let ended = try await waitUntil {
                    try await db.buildRequests.getBuildRequests(complete: true).count == 3
                }
                #expect(ended, "\(master.logText)")
                #expect(try await db.buildRequests.getBuildRequests().allSatisfy { $0.results == .cancelled })
                #expect(try await db.builds.getBuilds().map(\.results) == [.cancelled, .cancelled])
                #expect(
                    try await log(db, build: parent.id, step: 0).contains(
                        "hstopped: 2 triggered request(s) cancelled\n"))
            }
        }

        @Test("the CLI controls a running master: stop a build, pause, rebuild, cancel, kill the worker")
        func control() async throws {
            try await withBuildMaster(
                builders: "  - {name: b1, workers: [wk1], steps: [{name: sleep, shell: \"sleep 30\"}]}",
                schedulers: "  - {name: force, type: force, builderNames: [b1]}"
            ) { _, base, db, _ in
                let api = ["--master", base.absoluteString]
                try await force(base)
                #expect(try await waitUntil { try await db.steps.getSteps(buildid: 1).first?.startedAt != nil })
                let stop = try await GantryProcess.run(["builds", "stop", "1", "--reason", "from the cli"] + api)
                #expect(stop.status == 0 && stop.standardOutput == "stop requested\n", "\(stop.standardError)")
                #expect(try await waitUntil { try await db.builds.getBuild(1)?.results == .cancelled })
                #expect(try await log(db, build: 1, step: 0).contains("hstopped: from the cli\n"))
                let logs = try await GantryProcess.run(["logs", "1", "--follow"] + api)
                #expect(
                    logs.status == 0 && logs.standardOutput.hasSuffix("stopped: from the cli\n"),
                    "\(logs.standardError)")

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
                #expect(
                    try await waitUntil { try await db.workers.getWorker(named: "wk1")?.connectedTo.isEmpty == true },
                    "the worker was shut down")
            }
        }
    }
}
