import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import GantryWire
import GantryWorkers
import Testing

extension ProcessTests {
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
                try await forceAndWait(base, db, master)
                let steps = try await db.steps.getSteps(buildid: 1)
                #expect(
                    steps.map(\.results) == [
                        .warnings, .success, .success, .success, .success, .success, .success, .failure,
                    ])
                let missing = try await log(db, build: 1, step: 7)
                #expect(
                    missing.contains("eCannot read directory")
                        && missing.contains("[Errno 2] No such file or directory"),
                    "\(missing)")
                let hello = try await log(db, build: 1, step: 0)
                #expect(hello.contains("ohello\n") && hello.contains("eoops\n"))
                #expect(try await log(db, build: 1, step: 1).contains("otwo words\n"))
                #expect(try await log(db, build: 1, step: 6).contains("o600\n"))
                // Relative master-side paths are taken from the configuration's directory.
                let uploaded = directory.appendingPathComponent("uploaded")
                #expect(try String(contentsOf: uploaded.appendingPathComponent("a.txt"), encoding: .utf8) == "data\n")
                #expect(
                    try String(contentsOf: uploaded.appendingPathComponent("out/sub/b.txt"), encoding: .utf8)
                        == "deep\n")
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
                    await waitUntil { ProcessTable.matching("sleep \(marker)").isEmpty },
                    "the background sleep is gone too"
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
                #expect(
                    await waitUntil { ProcessTable.matching("sleep \(marker)").isEmpty }, "nothing outlives the worker")
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
                try await forceAndWait(base, db, master)
                let steps = try await db.steps.getSteps(buildid: 1)
                #expect(steps.map(\.results) == [.success, .success, .success, .success, .success])
                #expect(try await log(db, build: 1, step: 1).contains("oabsolute ok\n"))
                #expect(try await log(db, build: 1, step: 2).contains("orelative ok\n"))
                #expect(try await log(db, build: 1, step: 3).contains("orelative again\n"))
                #expect(try await log(db, build: 1, step: 4).contains("obare ok\n"))
            }
        }

        @Test(
            "output printed in odd-sized blocks is stored as the lines printed: CRLF and a carriage return end a line, a line longer than max_line_length is cut, the last line is closed"
        )
        func wholeLines() async throws {
            try await withBuildMaster(
                kind: .native,
                builders: #"""
                      - name: b1
                        workers: [wk1]
                        steps:
                          - {name: numbers, shell: 'seq 1 100000 | dd obs=4093 status=none'}
                          - name: mixed
                            shell: |-
                              printf 'one\ntw'; sleep 0.3; printf 'o\r\nthr'; sleep 0.3
                              printf 'ee\n10%%\r20%%\r'; sleep 0.3; printf '30%%\n'
                              head -c 5000 /dev/zero | tr '\0' x; sleep 0.3; printf '\ntail'
                    """#,
                schedulers: "  - {name: force, type: force, builderNames: [b1]}"
            ) { master, base, db, _ in
                try await forceAndWait(base, db, master)
                #expect(try await db.steps.getSteps(buildid: 1).map(\.results) == [.success, .success])
                let numbers = try await stdoutLines(base, db, build: 1, step: 0)
                let printed = (1...100_000).map { "\($0)" }
                let stored = numbers == printed
                let alike = zip(numbers, printed).prefix { $0 == $1 }.count
                #expect(stored, "\(numbers.count) lines, the first difference at line \(alike)")
                let mixed = try await stdoutLines(base, db, build: 1, step: 1)
                let long = String(repeating: "x", count: 5000)
                #expect(
                    mixed == [
                        "one", "two", "three", "10%", "20%", "30%", String(long.prefix(4095)), String(long.suffix(905)),
                        "tail",
                    ])
            }
        }

        @Test(
            "multi-byte characters cut across output chunks arrive whole (2 MB without a newline, cut into lines of max_line_length), and bytes that are not UTF-8 become U+FFFD"
        )
        func multiByteOutput() async throws {
            try await withBuildMaster(
                kind: .native,
                builders: #"""
                      - name: b1
                        workers: [wk1]
                        steps:
                          - {name: wide, shell: 'yes "é€😀ü" | head -n 200000 | tr -d "\n" | dd obs=4093 status=none'}
                          - {name: invalid, shell: 'printf "caf\303\251 \377\n"'}
                    """#,
                schedulers: "  - {name: force, type: force, builderNames: [b1]}"
            ) { master, base, db, _ in
                try await forceAndWait(base, db, master)
                let wide = try await stdoutLines(base, db, build: 1, step: 0)
                let replaced = wide.reduce(0) { $0 + $1.unicodeScalars.filter { $0 == "\u{FFFD}" }.count }
                #expect(replaced == 0)
                let whole = wide.joined() == String(repeating: "é€😀ü", count: 200_000)
                #expect(whole, "\(wide.count) lines")
                #expect(
                    wide.allSatisfy { $0.unicodeScalars.count <= 4095 }, "max_line_length 4096, the newline included")
                #expect(try await stdoutLines(base, db, build: 1, step: 1) == ["caf\u{E9} \u{FFFD}"])
            }
        }

        @Test("a directory upload copies files in blocks: a 128 MiB file barely grows the worker's memory")
        func largeDirectoryUpload() async throws {
            try await withBuildMaster(
                kind: .native,
                builders: """
                      - name: b1
                        workers: [wk1]
                        steps:
                          - {name: make, shell: "mkdir -p big && truncate -s 128M big/file.bin && echo small > big/small.txt"}
                          - directoryUpload: {workersrc: big, masterdest: uploaded/big}
                    """,
                schedulers: "  - {name: force, type: force, builderNames: [b1]}"
            ) { master, base, db, directory in
                let pid = try #require(
                    ProcessTable.matching(" worker ", directory.appendingPathComponent("wk1").path).first?.pid)
                let before = try #require(peakMemory(of: pid))
                try await force(base)
                let built = try await waitUntil(limit: .seconds(120)) {
                    try await db.buildRequests.getBuildRequests(complete: true).count == 1
                }
                #expect(built, "\(master.logText)")
                #expect(try await db.steps.getSteps(buildid: 1).map(\.results) == [.success, .success])
                let uploaded = try FileHandle(
                    forReadingFrom: directory.appendingPathComponent("uploaded/big/file.bin"))
                defer { try? uploaded.close() }
                #expect(try uploaded.seekToEnd() == 128 << 20)
                let after = try #require(peakMemory(of: pid))
                #expect(after - before < 48 << 20, "the worker's peak memory grew from \(before) to \(after) bytes")
            }
        }

        @Test(
            "a second worker of a connected worker's name is refused: its log says why, and it retries ever more slowly"
        )
        func duplicateName() async throws {
            try await withBuildMaster(
                kind: .native,
                builders: "  - {name: b1, workers: [wk1], steps: [{name: nothing, shell: \"true\"}]}",
                schedulers: "  - {name: force, type: force, builderNames: [b1]}"
            ) { master, _, _, directory in
                let port = try #require(try await master.workerPort())
                let elsewhere = directory.appendingPathComponent("twin")
                try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
                let twin = try NativeWorkerProcess(
                    name: "wk1", password: "pass1", masterPort: port, directory: elsewhere)
                defer { twin.send(SIGKILL) }
                let refusals = {
                    twin.logText.split(separator: "\n").filter { $0.contains("the master refused this worker") }
                }
                #expect(await waitUntil(limit: .seconds(30)) { refusals().count >= 3 }, "\(twin.logText)")
                let lines = refusals()
                #expect(lines.allSatisfy { $0.contains("another worker named 'wk1' is connected") }, "\(twin.logText)")
                let delays = lines.compactMap { line in
                    line.components(separatedBy: "gantry.retry=").dropFirst().first.flatMap {
                        Double($0.prefix { $0.isNumber || $0 == "." })
                    }
                }
                #expect(Array(delays.prefix(3)) == [1, 2, 4], "\(twin.logText)")
                #expect(master.logText.contains("duplicate connection refused"))
            }
        }

        @Test(
            "settings and time limits no duration holds (NaN, infinite, huge) neither trap nor stall the worker, and max_line_length is the master's"
        )
        func unusualSettings() async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "gantry-nw-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let settings = {
                var settings = WorkerSettings()
                settings.bufferTimeout = .nan
                settings.maxLineLength = 8
                return settings
            }()
            // The master's own worker port and link, so that the test chooses what they send.
            let port = WorkerPort(host: "127.0.0.1", port: 0, logger: silentLogger) { $0 == "wk1" ? "pass1" : nil }
            let (links, attached) = AsyncStream<WorkerLink>.makeStream()
            let (bound, boundTo) = AsyncStream<Int>.makeStream()
            let server = Task {
                try await port.run(onBound: { boundTo.yield($0) }) { link in
                    guard (try? await link.attach(settings: settings)) != nil else {
                        attached.finish()
                        return
                    }
                    attached.yield(link)
                    while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
                }
            }
            defer { server.cancel() }
            var ports = bound.makeAsyncIterator()
            let boundPort = await ports.next()
            let number = try #require(boundPort)
            let worker = try NativeWorkerProcess(
                name: "wk1", password: "pass1", masterPort: number, directory: directory)
            defer { worker.send(SIGKILL) }
            var attachedLinks = links.makeAsyncIterator()
            let attachedLink = await attachedLinks.next()
            let link = try #require(attachedLink, "the worker did not attach: \(worker.logText)")
            #expect(
                await waitUntil { worker.logText.contains("buffer_timeout") },
                "the ignored setting is logged: \(worker.logText)")

            let workdir = directory.appendingPathComponent("wk1/build").path
            let updates = CollectedUpdates()
            let cut = try await link.runCommand(
                "shell",
                args: .map([
                    .init("workdir", .string(workdir)), .init("command", ["printf", "abcdefghijkl\nxy"]),
                    .init("timeout", .double(.infinity)), .init("maxTime", .double(1e300)),
                ]),
                onUpdate: { await updates.add($0) })
            #expect(cut.rc == 0 && cut.failure == nil, "\(worker.logText)")
            let output = await updates.triples("stdout")
            #expect(output.map(\.text).joined() == "abcdefg\nhijkl\nxy\n")
            for triple in output {
                let offsets = triple.text.unicodeScalars.enumerated().filter { $0.element == "\n" }.map(\.offset)
                #expect(triple.newlines == offsets && triple.times.count == offsets.count)
            }

            let unlimited = try await link.runCommand(
                "shell",
                args: .map([
                    .init("workdir", .string(workdir)), .init("command", "echo ok"), .init("timeout", .double(.nan)),
                    .init("maxTime", .double(.infinity)),
                ]))
            #expect(unlimited.rc == 0 && unlimited.failure == nil, "\(worker.logText)")
        }

        @Test("a wrong password: the master refuses the worker, which keeps trying and is never recorded")
        func wrongPassword() async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "gantry-nw-\(UUID().uuidString)")
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
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "gantry-bm-\(UUID().uuidString)")
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
            #expect(
                await waitUntil(limit: .seconds(60)) { master.log.contains("BuildMaster is running") }, "\(master.log)")
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
            let uploaded = try String(
                contentsOf: master.basedir.appendingPathComponent("uploaded.txt"), encoding: .utf8)
            #expect(uploaded == "built by gantry\n")
        }
    }
}

/// The stdout lines of build `build`'s step `index`, read through the logs API.
private func stdoutLines(_ base: URL, _ db: Database, build: Int, step index: Int) async throws -> [String] {
    let step = try await db.steps.getSteps(buildid: build)[index]
    let log = try #require(try await db.logs.getLogs(stepid: step.id).first)
    let answer = try await httpGet(base, "/api/v2/logs/\(log.id)/contents")
    guard case .string(let content)? = answer["logchunks", 0, "content"] else {
        Issue.record("no content for log \(log.id): \(answer.json)")
        return []
    }
    // Split on newline bytes: as a Character, "\r\n" is not "\n".
    return content.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        .filter { $0.first == UInt8(ascii: "o") }.map { String(decoding: $0.dropFirst(), as: UTF8.self) }
}

/// The peak resident memory of process `pid` in bytes (`VmHWM`).
private func peakMemory(of pid: Int32) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        return fields.count > 1 ? Int(fields[1]).map { $0 * 1024 } : nil
    }
    return nil
}

/// A command's updates as they arrive.
private actor CollectedUpdates {
    struct Triple: Sendable {
        var text: String
        var newlines: [Int]
        var times: [Double]
    }

    private var all: [RemoteUpdate] = []

    func add(_ update: RemoteUpdate) { all.append(update) }

    /// The line triples of `key`, in order.
    func triples(_ key: String) -> [Triple] {
        all.filter { $0.key == key }.compactMap { update in
            guard case .array(let parts) = update.value, parts.count == 3, let text = parts[0].stringValue else {
                Issue.record("\(key) is not a line triple: \(update.value)")
                return nil
            }
            return Triple(
                text: text, newlines: parts[1].arrayValue?.compactMap(\.intValue) ?? [],
                times: parts[2].arrayValue?.compactMap(\.doubleValue) ?? [])
        }
    }
}
