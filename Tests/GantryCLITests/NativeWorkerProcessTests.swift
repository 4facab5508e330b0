import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

/// `gantry worker` processes building for a real `gantry master`.
@Suite("The native worker", .timeLimit(.minutes(3)))
struct NativeWorkerProcessTests {
    @Test(
        "shell output and exit codes, argv, uploads of a file and a directory, a download, a missing directory refused; its info recorded"
    )
    func builds() async throws {
        try await withBuildMaster(
            kind: .native,
            builders: """
                  - name: b1
                    workers: [wk1]
                    steps:
                      - {name: hello, shell: "echo hello; echo oops >&2; exit 3", decodeRC: {0: success, 3: warnings}}
                      - {name: argv, shell: [printf, "%s\\\\n", two words], env: {GREETING: hi}}
                      - {name: make, shell: "mkdir -p out/sub && echo data > out/a.txt && echo deep > out/sub/b.txt"}
                      - fileUpload: {workersrc: out/a.txt, masterdest: uploaded/a.txt}
                      - directoryUpload: {workersrc: out, masterdest: uploaded/out}
                      - fileDownload: {mastersrc: bmaster.yaml, workerdest: copy.yaml, mode: "0600"}
                      - {name: check, shell: "test -s copy.yaml && stat -c %a copy.yaml"}
                      - {name: missing, directoryUpload: {workersrc: nowhere, masterdest: uploaded/nowhere}}
                """,
            schedulers: "  - {name: force, type: force, builderNames: [b1]}"
        ) { master, base, db, directory in
            try await force(base)
            let built = try await waitUntil { try await db.buildRequests.getBuildRequests(complete: true).count == 1 }
            #expect(built, "\(master.logText)")
            let steps = try await db.steps.getSteps(buildid: 1)
            #expect(
                steps.map(\.results) == [
                    .warnings, .success, .success, .success, .success, .success, .success, .failure,
                ])
            #expect(try await log(db, build: 1, step: 7).contains("eCannot read directory"))
            let hello = try await log(db, build: 1, step: 0)
            #expect(hello.contains("ohello\n") && hello.contains("eoops\n"))
            #expect(try await log(db, build: 1, step: 1).contains("otwo words\n"))
            #expect(try await log(db, build: 1, step: 6).contains("o600\n"))
            // Relative master-side paths are taken from the configuration's directory.
            let uploaded = directory.appendingPathComponent("uploaded")
            #expect(try String(contentsOf: uploaded.appendingPathComponent("a.txt"), encoding: .utf8) == "data\n")
            #expect(
                try String(contentsOf: uploaded.appendingPathComponent("out/sub/b.txt"), encoding: .utf8) == "deep\n")
            #expect(!FileManager.default.fileExists(atPath: uploaded.appendingPathComponent("nowhere").path))
            let worker = try #require(try await db.workers.getWorker(named: "wk1"))
            #expect(worker.workerInfo["version"] == .string("gantry-1"))
            #expect(worker.workerInfo["basedir"] == .string(directory.appendingPathComponent("wk1").path))
        }
    }

    @Test("stopping a build, a timeout, and stopping the worker each end the command's whole process group")
    func interrupts() async throws {
        let marker = "30\(Int.random(in: 100...999))"
        try await withBuildMaster(
            kind: .native,
            builders: """
                  - {name: b1, workers: [wk1], steps: [{name: sleepy, shell: "sleep \(marker) & sleep \(marker); echo never"}]}
                  - {name: b2, workers: [wk1], steps: [{name: quiet, shell: "sleep \(marker)", timeout: 1s}]}
                """,
            schedulers: """
                  - {name: force, type: force, builderNames: [b1]}
                  - {name: slow, type: force, builderNames: [b2]}
                """
        ) { master, base, db, directory in
            try await force(base)
            #expect(await waitUntil { ProcessTable.matching("sleep \(marker)").count >= 2 })
            try await db.builds.requestBuildStop(1, reason: "enough")
            #expect(try await waitUntil { try await db.builds.getBuild(1)?.results == .cancelled })
            #expect(
                await waitUntil { ProcessTable.matching("sleep \(marker)").isEmpty }, "the background sleep is gone too"
            )

            let slow = try await httpPost(
                base, "/api/v2/forceschedulers/slow", body: #"{"jsonrpc": "2.0", "method": "force", "id": 1}"#)
            #expect(slow.status == 200)
            #expect(try await waitUntil { try await db.builds.getBuild(2)?.results == .failure })
            #expect(try await log(db, build: 2, step: 0).contains("hcommand timed out: 1 seconds without output\n"))

            try await force(base)
            #expect(await waitUntil { ProcessTable.matching("sleep \(marker)").count >= 2 })
            let pid = try #require(
                ProcessTable.matching(" worker ", directory.appendingPathComponent("wk1").path).first?.pid)
            kill(pid, SIGTERM)
            #expect(await waitUntil { ProcessTable.matching("sleep \(marker)").isEmpty }, "nothing outlives the worker")
            #expect(try await waitUntil { try await db.builds.getBuild(3)?.results == .retry }, "\(master.logText)")
        }
    }

    @Test(
        "under CPU load, short commands exit 0, one that closes its output before exiting reports its own code, and what a command leaves running is ended"
    )
    func exitCodesUnderLoad() async throws {
        let marker = "30\(Int.random(in: 100...999))"
        let quick = (1...15).flatMap { index in
            [
                (name: "echo\(index)", command: "[echo, x]"), (name: "cat\(index)", command: "[cat, /etc/passwd]"),
                (name: "ls\(index)", command: "[ls, /]"),
            ]
        }
        let steps =
            [
                #"{name: late, shell: [sh, -c, "exec >&- 2>&-; sleep 1; exit 3"], decodeRC: {0: success, 3: warnings}}"#,
                "{name: left, shell: \"sleep \(marker) >/dev/null 2>&1 &\"}",
            ] + quick.map { "{name: \($0.name), shell: \($0.command)}" }
        try await withBuildMaster(
            kind: .native,
            builders: "  - {name: b1, workers: [wk1], steps: [\(steps.joined(separator: ", "))]}",
            schedulers: "  - {name: force, type: force, builderNames: [b1]}"
        ) { master, base, db, _ in
            try await withCPULoad(processes: min(16, 2 * ProcessInfo.processInfo.activeProcessorCount)) {
                try await force(base)
                let built = try await waitUntil(limit: .seconds(120)) {
                    try await db.buildRequests.getBuildRequests(complete: true).count == 1
                }
                #expect(built, "\(master.logText)")
            }
            let ran = try await db.steps.getSteps(buildid: 1)
            #expect(ran.map(\.name) == ["late", "left"] + quick.map { $0.name })
            #expect(ran.first?.results == .warnings, "its exit code 3, not a kill at the end of its output")
            let failed = ran.dropFirst().filter { $0.results != .success }.map(\.name)
            #expect(failed.isEmpty, "\(failed) did not succeed")
            #expect(
                await waitUntil { ProcessTable.matching("sleep \(marker)").isEmpty },
                "the background sleep ended with its command")
        }
    }

    @Test(
        "an argv command may name an absolute path, or a path relative to its workdir; a bare name is looked up in PATH"
    )
    func argvPaths() async throws {
        try await withBuildMaster(
            kind: .native,
            builders: """
                  - name: b1
                    workers: [wk1]
                    steps:
                      - {name: script, shell: "mkdir -p tools && printf '#!/bin/sh\\\\necho relative $1\\\\n' > tools/run.sh && chmod +x tools/run.sh"}
                      - {name: absolute, shell: [/bin/echo, absolute ok]}
                      - {name: dot, shell: [./tools/run.sh, ok]}
                      - {name: relative, shell: [tools/run.sh, again]}
                      - {name: bare, shell: [echo, bare ok]}
                """,
            schedulers: "  - {name: force, type: force, builderNames: [b1]}"
        ) { master, base, db, _ in
            try await force(base)
            let built = try await waitUntil { try await db.buildRequests.getBuildRequests(complete: true).count == 1 }
            #expect(built, "\(master.logText)")
            let steps = try await db.steps.getSteps(buildid: 1)
            #expect(steps.map(\.results) == [.success, .success, .success, .success, .success])
            #expect(try await log(db, build: 1, step: 1).contains("oabsolute ok\n"))
            #expect(try await log(db, build: 1, step: 2).contains("orelative ok\n"))
            #expect(try await log(db, build: 1, step: 3).contains("orelative again\n"))
            #expect(try await log(db, build: 1, step: 4).contains("obare ok\n"))
        }
    }

    @Test("a wrong password: the master refuses the worker, which keeps trying and is never recorded")
    func wrongPassword() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-nw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let master = try MasterProcess(
            name: "pmaster",
            config: """
                name: pmaster
                http: 127.0.0.1:0
                workerPort: {address: "127.0.0.1:0"}
                workers: [{name: wk1, password: right-one}]
                """,
            directory: directory)
        defer { master.send(SIGKILL) }
        let port = try #require(try await master.workerPort(), "\(master.logText)")
        let worker = try NativeWorkerProcess(
            name: "wk1", password: "not-this-one", masterPort: port, directory: directory)
        defer { worker.send(SIGKILL) }
        #expect(await waitUntil { worker.logText.contains("refused the connection") }, "\(worker.logText)")
        #expect(master.logText.contains("worker authentication failed") && !master.logText.contains("not-this-one"))
        #expect(!worker.logText.contains("not-this-one"), "the password is never logged")
        #expect(!master.logText.contains("worker connected"))
    }

    @Test(
        "against an unmodified Buildbot 4.3 master: a shell step and an upload succeed",
        .enabled(if: BuildbotMasterProcess.executable != nil, "GANTRY_TEST_BUILDBOT_MASTER is not set"))
    func buildbotMaster() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-bm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let master = try await BuildbotMasterProcess(
            config: """
                from buildbot.plugins import *
                c = BuildmasterConfig = {}
                c['workers'] = [worker.Worker("wk1", "pass1")]
                c['protocols'] = {'msgpack_experimental_v7': {'port': {WORKER_PORT}}}
                c['schedulers'] = [schedulers.ForceScheduler(name="force", builderNames=["b1"])]
                factory = util.BuildFactory()
                factory.addStep(steps.ShellCommand(name="make", command="echo built by $USER_NAME > out.txt; cat out.txt", env={"USER_NAME": "gantry"}))
                factory.addStep(steps.FileUpload(workersrc="out.txt", masterdest="uploaded.txt"))
                c['builders'] = [util.BuilderConfig(name="b1", workernames=["wk1"], factory=factory)]
                """,
            directory: directory)
        defer { Task { await master.stop() } }
        let base = try #require(URL(string: "http://127.0.0.1:\(master.httpPort)"))
        #expect(await waitUntil(limit: .seconds(60)) { master.log.contains("BuildMaster is running") }, "\(master.log)")
        let worker = try NativeWorkerProcess(
            name: "wk1", password: "pass1", masterPort: master.workerPort, directory: directory)
        defer { worker.send(SIGKILL) }
        let connected = await waitUntil {
            (try? await httpGet(base, "/api/v2/workers"))?["workers", 0, "connected_to", 0] != nil
        }
        #expect(connected, "\(worker.logText)\n\(master.log)")
        let forced = try await httpPost(
            base, "/api/v2/forceschedulers/force",
            body: #"{"jsonrpc": "2.0", "method": "force", "params": {"builderid": "1"}, "id": 1}"#,
            headers: ["Content-Type": "application/json"])
        #expect(forced.status == 200)
        let built = await waitUntil {
            (try? await httpGet(base, "/api/v2/builds?complete=true"))?["builds", 0, "results"] != nil
        }
        #expect(built, "\(master.log)")
        #expect(try await httpGet(base, "/api/v2/builds")["builds", 0, "results"] == .number(0))
        let uploaded = try String(contentsOf: master.basedir.appendingPathComponent("uploaded.txt"), encoding: .utf8)
        #expect(uploaded == "built by gantry\n")
    }
}
