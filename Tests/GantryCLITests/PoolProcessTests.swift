import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

extension ProcessTests {
    /// Pools of native workers a real `gantry master` starts and retires with the queue.
    @Suite("Worker pools", .timeLimit(.minutes(3)))
    struct PoolProcessTests {
        /// A master named `name` running `config` (its YAML after the name, HTTP and worker port lines) in a new
        /// directory; `body` gets it, its API's address, its database and the directory once its schedulers (if
        /// any) are claimed.
        private func withMaster(
            _ name: String, config: String, _ body: (MasterProcess, URL, Database, URL) async throws -> Void
        ) async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "gantry-pool-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            try await ProcessTests.withPoolMaster(name, config: config, in: directory) { master, base, db in
                do {
                    try await body(master, base, db, directory)
                } catch {
                    await removePoolDirectories(db, of: directory)
                    throw error
                }
                await removePoolDirectories(db, of: directory)
            }
        }

        /// The `gantry worker` processes started for the master in `directory`: their directories are named after
        /// it.
        private func workers(in directory: URL, named name: String = "") -> [(pid: Int32, line: String)] {
            ProcessTable.matching(
                "worker --master ", "/" + directory.lastPathComponent, name.isEmpty ? "" : "--name \(name) ")
        }

        /// Removes the directories the pools' workers had outside the configuration's `directory` (the one named
        /// after it above each worker's basedir).
        private func removePoolDirectories(_ db: Database, of directory: URL) async {
            for worker in (try? await db.workers.getWorkers()) ?? [] {
                guard let basedir = worker.workerInfo["basedir"]?.string else { continue }
                var url = URL(fileURLWithPath: basedir)
                while url.pathComponents.count > 1, !url.lastPathComponent.hasPrefix(directory.lastPathComponent + "-")
                {
                    url.deleteLastPathComponent()
                }
                if url.pathComponents.count > 1 { try? FileManager.default.removeItem(at: url) }
            }
        }

        /// Starts `gantry arguments...` with `environment` added to the test's own (`MasterProcess` adds none); its
        /// standard error goes to `log`.
        private func spawn(_ arguments: [String], environment: [String: String], log: URL) throws -> Process {
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let process = Process()
            process.executableURL = GantryProcess.executable
            process.arguments = arguments
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
            process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            process.standardError = try FileHandle(forWritingTo: log)
            _ = try process.start()
            return process
        }

        /// The port after `marker` (`gantry.http.address=`) in the log, once the master has logged it.
        private func loggedPort(_ marker: String, in log: URL) async -> Int? {
            var port: Int?
            _ = await waitUntil {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                guard let start = text.range(of: marker)?.upperBound else { return false }
                let address = text[start...].prefix { !$0.isWhitespace }
                port = address.lastIndex(of: ":").flatMap { Int(address[address.index(after: $0)...]) }
                return port != nil
            }
            return port
        }

        @Test("maxWorkers 3 and 10 queued requests: exactly 3 workers start, all 10 builds complete, idle ones retire")
        func spinUpAndRetire() async throws {
            try await withMaster(
                "pmaster",
                config: """
                    builders: [{name: b1, steps: [{name: work, shell: "sleep 0.3"}], collapseRequests: false}]
                    schedulers: [{name: force, type: force, builderNames: [b1]}]
                    pools: [{name: p, builders: [b1], maxWorkers: 3, idleTimeout: 2s, startTimeout: 60s}]
                    """
            ) { master, base, db, directory in
                for _ in 0..<10 { try await force(base) }
                let done = try await waitUntil(limit: .seconds(90)) {
                    try await db.buildRequests.getBuildRequests(complete: true).count == 10
                }
                #expect(done, "\(master.logText)")
                #expect(try await db.buildRequests.getBuildRequests().allSatisfy { $0.results == .success })
                let used = Set(try await db.builds.getBuilds().compactMap(\.workerID))
                let names = Set(try await db.workers.getWorkers().filter { used.contains($0.id) }.map(\.name))
                #expect(names.isSubset(of: ["p-1", "p-2", "p-3"]))
                #expect(master.logText.components(separatedBy: "pool start requested").count - 1 == 3)
                let retired = await waitUntil { master.logText.components(separatedBy: "pool retired").count - 1 == 3 }
                #expect(retired, "\(master.logText)")
                #expect(await waitUntil { workers(in: directory).isEmpty }, "retired workers' processes are gone")

                let pool = try await httpGet(base, "/api/v2/pools/p")
                #expect(pool["pools", 0, "max_workers"] == .number(3) && pool["pools", 0, "queued"] == .number(0))
                #expect(pool["pools", 0, "workers"] == .array([]) && pool["pools", 0, "start_failures"] == .number(0))
                #expect(pool["pools", 0, "masterid"] == .number(1), "managed by this master")
                let metrics = try await httpGetText(base, "/metrics").text
                for line in [
                    #"gantry_pool_workers{pool="p",state="idle"} 0.0"#,
                    #"gantry_pool_workers{pool="p",state="busy"} 0.0"#,
                    #"gantry_pool_queued_requests{pool="p"} 0.0"#, #"gantry_pool_start_failures_total{pool="p"} 0"#,
                ] {
                    #expect(metrics.split(separator: "\n").contains { $0 == line }, "\(line) in \(metrics)")
                }
                let events = try await httpGet(base, "/api/v2/pools/p/events")["events"]?.elements ?? []
                let kinds = events.compactMap { $0["event"]?.string }
                #expect(
                    kinds.filter { $0 == "start requested" }.count == 3 && kinds.filter { $0 == "connected" }.count == 3
                )
                #expect(kinds.filter { $0 == "retired" }.count == 3 && events.allSatisfy { $0["pool"] == .string("p") })
                #expect(try await httpGet(base, "/api/v2/pools/nope").status == 404)
                let listed = try await GantryProcess.run(["pools", "--master", base.absoluteString])
                #expect(listed.status == 0 && listed.standardOutput.contains("p     b1"), "\(listed.standardOutput)")
                #expect(
                    listed.standardOutput.split(separator: "\n").last?.hasSuffix(" 1") == true, "managed by master 1")
            }
        }

        @Test(
            "a SIGTERMed master lets pool builds finish within terminateGrace, interrupts the rest: no process remains, the request waits"
        )
        func terminate() async throws {
            try await withMaster(
                "tmaster",
                config: """
                    builders:
                      - {name: quick, steps: [{name: work, shell: "sleep 2"}]}
                      - {name: long, steps: [{name: work, shell: "sleep 300"}]}
                    schedulers: [{name: force, type: force, builderNames: [quick, long]}]
                    pools: [{name: q, builders: [quick, long], maxWorkers: 2, terminateGrace: 8s}]
                    """
            ) { master, base, db, directory in
                try await force(base)
                let running = try await waitUntil {
                    let started = try await db.steps.getSteps(buildid: 1) + db.steps.getSteps(buildid: 2)
                    return started.count == 2 && started.allSatisfy { $0.startedAt != nil }
                }
                #expect(running, "\(master.logText)")
                master.send(SIGTERM)
                #expect(await master.waitForExit() == 0, "\(master.logText)")
                #expect(workers(in: directory).isEmpty, "no worker outlives the master")
                let quick = try await db.builders.findBuilderId("quick")
                let results = Dictionary(
                    uniqueKeysWithValues: try await db.builds.getBuilds().map { ($0.builderID, $0.results) })
                #expect(results[quick] == .success, "finished within the grace")
                #expect(results.values.contains(.retry), "interrupted after the grace")
                let waiting = try await db.buildRequests.getBuildRequests(complete: false)
                #expect(waiting.count == 1 && waiting[0].claimedByMasterID == nil, "pending again for another master")
            }
        }

        @Test(
            "on PostgreSQL, one master manages the pool; when it stops mid-build another takes the pool over and finishes every request",
            .enabled(if: TestBackend.postgresURL != nil))
        func terminateHandsOver() async throws {
            try await withCluster { url, directory in
                let config = { (name: String) in
                    """
                    name: \(name)
                    database: \(url.textWithPassword)
                    http: 127.0.0.1:0
                    workerPort: {address: "127.0.0.1:0"}
                    heartbeat: 1s
                    expireAfter: 3s
                    claimPoll: 1s
                    builders: [{name: b1, steps: [{name: work, shell: "sleep 3"}], collapseRequests: false}]
                    schedulers: [{name: force, type: force, builderNames: [b1]}]
                    pools: [{name: h, builders: [b1], maxWorkers: 2, terminateGrace: 0s}]
                    """
                }
                let first = try MasterProcess(name: "h1", config: config("h1"), directory: directory)
                defer { first.send(SIGKILL) }
                try await Database.withDatabase(url, logger: silentLogger) { db in
                    let firstID = try await db.masters.findMasterId("h1")
                    #expect(try await waitUntil { try await db.claims(.pool).getClaimingMasters() == ["h": firstID] })
                    let second = try MasterProcess(name: "h2", config: config("h2"), directory: directory)
                    defer { second.send(SIGKILL) }
                    let http = try #require(try await first.httpPort(), "\(first.logText)")
                    let firstPort = try #require(try await first.workerPort())
                    let secondHTTP = try #require(try await second.httpPort(), "\(second.logText)")
                    let base = try #require(URL(string: "http://127.0.0.1:\(http)"))
                    #expect(try await waitUntil { try await db.schedulers.getSchedulers(active: true).count == 1 })
                    for _ in 0..<4 { try await force(base) }
                    let running = try await waitUntil(limit: .seconds(60)) {
                        try await db.builds.getBuilds(complete: false).count == 2
                    }
                    #expect(running, "\(first.logText)")
                    let pool = try await httpGet(base, "/api/v2/pools/h")
                    #expect(pool["pools", 0, "masterid"] == .number(Double(firstID)), "the first master manages it")
                    // Any master shows the pool's workers, read from the database for a pool managed elsewhere.
                    let secondBase = try #require(URL(string: "http://127.0.0.1:\(secondHTTP)"))
                    let seen = try await httpGet(secondBase, "/api/v2/pools/h")
                    #expect(seen["pools", 0, "masterid"] == .number(Double(firstID)))
                    #expect(seen["pools", 0, "workers_by_state", "busy"] == .number(2), "\(seen)")
                    #expect(second.logText.contains("pool claimed") == false, "the second master stays passive")

                    first.send(SIGTERM)
                    #expect(await first.waitForExit() == 0, "\(first.logText)")
                    #expect(
                        ProcessTable.matching("worker --master 127.0.0.1:\(firstPort) ").isEmpty,
                        "no worker of the first master remains")
                    let secondID = try await db.masters.findMasterId("h2")
                    let done = try await waitUntil(limit: .seconds(90)) {
                        try await db.buildRequests.getBuildRequests(complete: true).count == 4
                    }
                    #expect(done, "\(second.logText)")
                    let requests = try await db.buildRequests.getBuildRequests()
                    #expect(requests.allSatisfy { $0.results == .success }, "every request built, once")
                    let builds = try await db.builds.getBuilds()
                    #expect(builds.filter { $0.results == .success }.count == 4)
                    #expect(builds.filter { $0.results == .retry }.allSatisfy { $0.masterID == firstID })
                    #expect(builds.contains { $0.results == .retry }, "the first master's builds were interrupted")
                    #expect(try await db.claims(.pool).getClaimingMasters() == ["h": secondID])
                    #expect(second.logText.contains("pool claimed"))
                    // The pool's event log is in the database: the second master shows what the first did too.
                    let events = try await httpGet(secondBase, "/api/v2/pools/h/events")["events"]?.elements ?? []
                    let by = { (master: Int, event: String) in
                        events.contains { $0["masterid"] == .number(Double(master)) && $0["event"] == .string(event) }
                    }
                    #expect(by(firstID, "claimed") && by(firstID, "released") && by(secondID, "claimed"), "\(events)")
                }
            }
        }

        @Test("a pool worker SIGKILLed mid-build is pruned, its build ends RETRY, a replacement starts and builds it")
        func pruneAndReplace() async throws {
            try await withMaster(
                "rmaster",
                config: """
                    builders: [{name: b1, steps: [{name: work, shell: "sleep 2"}]}]
                    schedulers: [{name: force, type: force, builderNames: [b1]}]
                    pools: [{name: r, builders: [b1], maxWorkers: 1}]
                    """
            ) { master, base, db, directory in
                try await force(base)
                #expect(try await waitUntil { try await db.steps.getSteps(buildid: 1).first?.startedAt != nil })
                let pid = try #require(workers(in: directory, named: "r-1").first?.pid)
                kill(pid, SIGKILL)
                #expect(try await waitUntil { try await db.builds.getBuild(1)?.results == .retry }, "\(master.logText)")
                let done = try await waitUntil(limit: .seconds(60)) {
                    try await db.buildRequests.getBuildRequests(complete: true).count == 1
                }
                #expect(done, "\(master.logText)")
                #expect(try await db.buildRequests.getBuildRequests().first?.results == .success)
                let kinds = (try await httpGet(base, "/api/v2/pools/r/events")["events"]?.elements ?? []).compactMap {
                    $0["event"]?.string
                }
                #expect(kinds.contains("pruned") && kinds.filter { $0 == "start requested" }.count == 2, "\(kinds)")
            }
        }

        @Test("exitOnWorker: a pool worker dying stops the master with a non-zero status and says why")
        func exitOnWorker() async throws {
            try await withMaster(
                "emaster",
                config: """
                    builders: [{name: b1, steps: [{name: work, shell: "sleep 30"}]}]
                    pools: [{name: e, builders: [b1], maxWorkers: 1, minIdle: 1, exitOnWorker: true}]
                    """
            ) { master, _, _, directory in
                #expect(await waitUntil { master.logText.contains("worker connected") }, "\(master.logText)")
                let pid = try #require(workers(in: directory, named: "e-1").first?.pid)
                kill(pid, SIGKILL)
                let status = await master.waitForExit()
                #expect(status != nil && status != 0)
                #expect(
                    master.logText.contains("worker e-1 of pool e died, and the pool has exitOnWorker"),
                    "\(master.logText)"
                )
            }
        }

        @Test(
            "a reload raises maxWorkers (more workers start), lowers it (the surplus retire once idle), adds a pool and removes one"
        )
        func reloadResizes() async throws {
            let pools = { (max: Int) in
                """
                builders: [{name: b1, steps: [{name: work, shell: "sleep 3"}], collapseRequests: false}]
                schedulers: [{name: force, type: force, builderNames: [b1]}]
                pools: [{name: z, builders: [b1], maxWorkers: \(max)}]
                """
            }
            try await withMaster("zmaster", config: pools(1)) { master, base, db, directory in
                let events = {
                    (try? await httpGet(base, "/api/v2/pools/z/events"))?["events"]?.elements ?? []
                }
                // Enough requests that demand outlasts the reload, however slowly workers start.
                for _ in 0..<5 { try await force(base) }
                #expect(try await waitUntil { try await db.builds.getBuilds(complete: false).count == 1 })
                let file = directory.appendingPathComponent("zmaster.yaml")
                let header = "name: zmaster\nhttp: 127.0.0.1:0\nworkerPort: {address: \"127.0.0.1:0\"}\n"
                try (header + pools(3)).write(to: file, atomically: true, encoding: .utf8)
                master.send(SIGHUP)
                let raised = await waitUntil(limit: .seconds(60)) {
                    await events().filter { $0["event"] == .string("connected") }.count == 3
                }
                #expect(raised, "\(master.logText)")

                try (header + pools(1)).write(to: file, atomically: true, encoding: .utf8)
                master.send(SIGHUP)
                let built = try await waitUntil(limit: .seconds(90)) {
                    try await db.buildRequests.getBuildRequests(complete: true).count == 5
                }
                #expect(built, "\(master.logText)")
                #expect(try await db.buildRequests.getBuildRequests().allSatisfy { $0.results == .success })
                let lowered = await waitUntil(limit: .seconds(30)) {
                    await events().filter { $0["detail"] == .string("above maxWorkers") }.count == 2
                }
                #expect(lowered, "\(master.logText)")
                #expect(await events().contains { $0["event"] == .string("config reloaded") })
                #expect(await waitUntil { workers(in: directory).count == 1 }, "only z-1 is left")

                // Pool y added (with a warm worker), pool z removed: y is claimed and starts, z's worker stops.
                let swapped = pools(1).replacingOccurrences(of: "{name: z,", with: "{name: y, minIdle: 1,")
                try (header + swapped).write(to: file, atomically: true, encoding: .utf8)
                master.send(SIGHUP)
                let replaced = await waitUntil {
                    workers(in: directory, named: "y-1").count == 1 && workers(in: directory, named: "z-1").isEmpty
                }
                #expect(replaced, "\(master.logText)")
                // z's service releases its claim once its worker is stopped, beside the master's heartbeat.
                let released = try await waitUntil { try await db.claims(.pool).getClaimingMasters() == ["y": 1] }
                #expect(released, "z's claim is released")
                #expect(master.logText.contains("the pool was removed"))
                #expect(try await httpGet(base, "/api/v2/pools/z").status == 404)
            }
        }

        @Test("a SIGKILLed master's local pool workers notice and stop by themselves")
        func orphans() async throws {
            try await withMaster(
                "kmaster",
                config: """
                    builders: [{name: b1, steps: [{name: work, shell: "sleep 300"}]}]
                    pools: [{name: k, builders: [b1], maxWorkers: 1, minIdle: 1}]
                    """
            ) { master, _, _, directory in
                #expect(await waitUntil { master.logText.contains("worker connected") }, "\(master.logText)")
                #expect(workers(in: directory).count == 1)
                master.send(SIGKILL)
                #expect(await waitUntil { workers(in: directory).isEmpty }, "the orphaned worker stopped")
            }
        }

        @Test(
            "a local pool's worker and its steps see none of the master's secrets, and work outside its configuration")
        func scrubbedWorkers() async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "gantry-pool-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("smaster.yaml")
            try """
            name: smaster
            http: 127.0.0.1:0
            workerPort: {address: "127.0.0.1:0"}
            secrets: {environmentPrefix: GANTRY_SECRET_}
            builders: [{name: b1, steps: [{name: env, shell: "env; pwd"}]}]
            schedulers: [{name: force, type: force, builderNames: [b1]}]
            pools: [{name: s, builders: [b1], maxWorkers: 1}]
            """.write(to: file, atomically: true, encoding: .utf8)
            let masterLog = directory.appendingPathComponent("smaster.log")
            let master = try spawn(
                ["master", "--config", file.path], environment: ["GANTRY_SECRET_X": "hush-1", "DB_PASSWORD": "hush-2"],
                log: masterLog)
            defer { kill(master.processIdentifier, SIGKILL) }
            let logText = { (try? String(contentsOf: masterLog, encoding: .utf8)) ?? "" }
            let http = try #require(await loggedPort("gantry.http.address=", in: masterLog), "\(logText())")
            let base = try #require(URL(string: "http://127.0.0.1:\(http)"))
            #expect(
                await waitUntil {
                    let schedulers = (try? await httpGet(base, "/api/v2/schedulers"))?["schedulers"]?.elements ?? []
                    return schedulers.count == 1 && schedulers.allSatisfy { $0["master"] != .null }
                })
            let url = DatabaseURL.sqlite(.file(path: directory.appendingPathComponent("gantry.sqlite").path))
            try await Database.withDatabase(url, logger: silentLogger) { db in
                try await force(base)
                let built = try await waitUntil(limit: .seconds(60)) {
                    try await db.buildRequests.getBuildRequests(complete: true).count == 1
                }
                #expect(built, "\(logText())")
                let output = try await log(db, build: 1, step: 0)
                #expect(output.contains("oPATH="), "the step still gets what programs need: \(output)")
                for leaked in ["GANTRY_SECRET_X", "DB_PASSWORD", "hush-1", "hush-2"] {
                    #expect(!output.contains(leaked), "\(leaked) in the step's environment: \(output)")
                }
                let shown = try await httpGet(base, "/api/v2/workers?name=s-1")["workers", 0, "workerinfo"]
                #expect(shown?["environ"]?["PATH"] != nil, "\(String(describing: shown))")
                #expect(shown?["environ"]?["GANTRY_SECRET_X"] == nil && shown?["environ"]?["DB_PASSWORD"] == nil)
                let basedir = try #require(shown?["basedir"]?.string)
                #expect(!basedir.hasPrefix(directory.path + "/"), "\(basedir) is in the configuration directory")
                let workdir = output.split(separator: "\n").last { $0.hasPrefix("o/") }
                #expect(workdir?.hasPrefix("o" + directory.path + "/") == false, "\(String(describing: workdir))")
                await removePoolDirectories(db, of: directory)
            }
        }

        @Test("a native worker reports none of its variables that look secret: anyone may read its info")
        func hiddenEnvironment() async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "gantry-pool-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let master = try MasterProcess(
                name: "hmaster",
                config: """
                    name: hmaster
                    http: 127.0.0.1:0
                    workerPort: {address: "127.0.0.1:0"}
                    workers: [{name: w1, password: pw1}]
                    builders: [{name: b1, workers: [w1], steps: [{name: work, shell: "true"}]}]
                    """,
                directory: directory)
            defer { master.send(SIGKILL) }
            let port = try #require(try await master.workerPort(), "\(master.logText)")
            let passwordFile = directory.appendingPathComponent("w1.pass")
            try "pw1\n".write(to: passwordFile, atomically: true, encoding: .utf8)
            let worker = try spawn(
                [
                    "worker", "--master", "127.0.0.1:\(port)", "--name", "w1", "--password-file", passwordFile.path,
                    "--basedir", directory.appendingPathComponent("w1").path,
                ],
                environment: [
                    "GANTRY_SECRET_Y": "hush-1", "API_TOKEN": "hush-2", "aws_secret_access_key": "hush-3",
                    "SSH_KEY_FILE": "hush-4", "GIT_CREDENTIALS": "hush-5", "PGPASSWORD": "hush-6",
                    "GANTRY_SHOWN": "yes",
                ],
                log: directory.appendingPathComponent("w1.log"))
            defer { kill(worker.processIdentifier, SIGKILL) }
            let url = DatabaseURL.sqlite(.file(path: directory.appendingPathComponent("gantry.sqlite").path))
            try await Database.withDatabase(url, logger: silentLogger) { db in
                let attached = try await waitUntil {
                    try await db.workers.getWorker(named: "w1")?.workerInfo["environ"] != nil
                }
                #expect(attached, "\(master.logText)")
                let environ = try await db.workers.getWorker(named: "w1")?.workerInfo["environ"]
                #expect(environ?["GANTRY_SHOWN"] == .string("yes"), "\(String(describing: environ))")
                for name in [
                    "GANTRY_SECRET_Y", "API_TOKEN", "aws_secret_access_key", "SSH_KEY_FILE", "GIT_CREDENTIALS",
                ] {
                    #expect(environ?[name] == nil, "\(name) reported")
                }
                #expect(environ?["PGPASSWORD"] == nil)
            }
        }
    }
}
