import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

/// Runs `body` with a fresh directory, removed afterwards.
private func withDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
        "gantry-master-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory)
}

extension ProcessTests {
    @Suite("gantry master process", .timeLimit(.minutes(3)))
    struct MasterProcessTests {
        @Test("a master on SQLite claims its scheduler, builds, serves the API, and stops cleanly on SIGTERM")
        func runAndTerminate() async throws {
            try await withDirectory { directory in
                let master = try MasterProcess(
                    name: "test-master",
                    config: """
                        name: test-master
                        http: 127.0.0.1:0
                        heartbeat: 1s
                        expireAfter: 5s
                        claimPoll: 1s
                        builders:
                          - name: example
                        schedulers:
                          - name: often
                            type: periodic
                            builderNames: [example]
                            interval: 1h
                        """,
                    directory: directory
                )
                defer { master.send(SIGKILL) }
                let url = DatabaseURL.sqlite(.file(path: directory.appendingPathComponent("gantry.sqlite").path))
                var buildsets = 0
                for _ in 0..<200 where buildsets == 0 {
                    try await Task.sleep(for: .milliseconds(50))
                    buildsets =
                        (try? await Database.withDatabase(url, logger: silentLogger) { db in
                            try await db.buildsets.getBuildsets().count
                        }) ?? 0
                }
                #expect(buildsets == 1)

                let port = try #require(try await master.httpPort(), "\(master.logText)")
                let base = try #require(URL(string: "http://127.0.0.1:\(port)"))
                let masters = try await httpGet(base, "/api/v2/masters")
                #expect(masters["masters", 0, "name"] == .string("test-master"))
                #expect(masters["masters", 0, "active"] == .bool(true))
                #expect(try await httpGet(base, "/healthz").status == 200)

                master.send(SIGTERM)
                #expect(await master.waitForExit() == 0)
                let (stored, claims, requests) = try await Database.withDatabase(url, logger: silentLogger) { db in
                    (
                        try await db.masters.getMasters().items, try await db.schedulers.getSchedulers(active: true),
                        try await db.buildRequests.getBuildRequests()
                    )
                }
                #expect(requests.count == 1, "the configured builder was registered, so the buildset has its request")
                #expect(stored.map(\.name) == ["test-master"])
                #expect(stored.map(\.active) == [false])
                #expect(claims.isEmpty)
            }
        }

        @Test("the README's quick start: the example runs a master whose local pool builds the example for real")
        func quickStart() async throws {
            let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
                "../../examples/quickstart.yaml")
            let text = try String(contentsOf: example, encoding: .utf8)
            #expect(text.contains("http: 127.0.0.1:8010"))
            try await withDirectory { directory in
                // The same file on a free port, so the test never collides with a master already running here.
                let config = text.replacingOccurrences(of: "http: 127.0.0.1:8010", with: "http: 127.0.0.1:0")
                    .replacingOccurrences(of: #"address: "127.0.0.1:9989""#, with: #"address: "127.0.0.1:0""#)
                let master = try MasterProcess(name: "quickstart", config: config, directory: directory)
                defer { master.send(SIGKILL) }
                let port = try #require(try await master.httpPort(), "\(master.logText)")
                let base = try #require(URL(string: "http://127.0.0.1:\(port)"))
                var answer = try await httpGet(base, "/api/v2/masters")
                for _ in 0..<100 where answer["masters", 0, "active"] != .bool(true) {
                    try await Task.sleep(for: .milliseconds(50))
                    answer = try await httpGet(base, "/api/v2/masters")
                }
                #expect(answer.status == 200)
                #expect(answer["meta", "total"] == .number(1))
                #expect(answer["masters", 0, "active"] == .bool(true))

                try await force(base)
                // The periodic scheduler builds once at start too: every request is waited for.
                let built = await waitUntil(limit: .seconds(90)) {
                    (try? await httpGet(base, "/api/v2/buildrequests?complete=false"))?["meta", "total"] == .number(0)
                }
                #expect(built, "\(master.logText)")
                let builds = try await httpGet(base, "/api/v2/builds")
                #expect(builds["meta", "total"] == .number(2) && builds["builds", 0, "results"] == .number(0))
                #expect(builds["builds", 1, "results"] == .number(0))
                let artifact = directory.appendingPathComponent("artifacts/hello-1")
                #expect(
                    FileManager.default.isExecutableFile(atPath: artifact.path), "the program came back to the master")
                master.send(SIGTERM)
                #expect(await master.waitForExit() == 0)
            }
        }

        @Test("a master process its test no longer holds is killed; one whose parent died stops on its own")
        func noOrphans() async throws {
            try await withDirectory { directory in
                let config = "name: orphan\nhttp: 127.0.0.1:0\nbuilders: [{name: b}]\n"
                var pid: Int32 = 0
                do {
                    let master = try MasterProcess(name: "dropped", config: config, directory: directory)
                    pid = master.child.processIdentifier
                    _ = try await master.httpPort()
                }
                #expect(await waitUntil { !isAlive(pid) }, "the dropped master \(pid) still runs")

                // A shell starts a master with --exit-with-parent in the background and exits: the master, now
                // without its parent, stops by itself.
                let file = directory.appendingPathComponent("orphan.yaml")
                try config.write(to: file, atomically: true, encoding: .utf8)
                // Not orphan.pid: the master keeps its own process id there.
                let pidFile = directory.appendingPathComponent("started.pid")
                let log = directory.appendingPathComponent("orphan.log")
                let shell = Process()
                shell.executableURL = URL(fileURLWithPath: "/bin/sh")
                shell.arguments = [
                    "-c", "\"$0\" master --config \"$1\" --exit-with-parent 2>\"$3\" & echo $! > \"$2\"; sleep 1",
                    GantryProcess.executable.path, file.path, pidFile.path, log.path,
                ]
                #expect(try await shell.runUntilExit() == 0)
                let orphan = try #require(
                    Int32(
                        try String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                    ))
                defer { kill(orphan, SIGKILL) }
                #expect(await waitUntil { !isAlive(orphan) }, "the orphaned master still runs")
                let logged = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                #expect(logged.contains("the process that started this master is gone"), "\(logged)")
            }
        }

        @Test(
            "at trace level a master's log shows none of its secrets: worker passwords, hook secrets, the database password, secrets a build used",
            .enabled(if: TestBackend.postgresURL != nil))
        func secretsStayOutOfTraceLogs() async throws {
            let server = try DatabaseURL(parsing: try #require(TestBackend.postgresURL))
            try await withTestSchema(server) { url in
                try await withDirectory { directory in
                    let secrets: [String: String] = [
                        "worker": "inline-pw-4711", "file": "file-pw-4712", "github": "gh-secret-4713",
                        "gitlab": "gl-token-4714", "stored": "stored-secret-4715", "environment": "env-secret-4716",
                    ]
                    try FileManager.default.createDirectory(
                        at: directory.appendingPathComponent("secrets"), withIntermediateDirectories: true)
                    try secrets["stored"]!.write(
                        to: directory.appendingPathComponent("secrets/stored"), atomically: true, encoding: .utf8)
                    try (secrets["file"]! + "\n").write(
                        to: directory.appendingPathComponent("w2.pass"), atomically: true, encoding: .utf8)
                    let master = try MasterProcess(
                        name: "secretive",
                        config: """
                            name: secretive
                            database: \(url.textWithPassword)
                            http: 127.0.0.1:0
                            workerPort: {address: "127.0.0.1:0"}
                            workers: [{name: w1, password: \(secrets["worker"]!)}, {name: w2, passwordFile: w2.pass}]
                            changeHooks: {github: {secret: \(secrets["github"]!)}, gitlab: {secret: \(secrets["gitlab"]!)}}
                            secrets: {directory: secrets, environmentPrefix: GANTRY_SECRET_}
                            builders:
                              - name: b
                                steps:
                                  - {name: use, shell: "echo %(secret:stored)s %(secret:environment)s"}
                            pools: [{name: p, builders: [b], maxWorkers: 1}]
                            schedulers: [{name: force, type: force, builderNames: [b]}]
                            """,
                        directory: directory,
                        environment: [
                            "GANTRY_LOG_LEVEL": "trace", "GANTRY_SECRET_environment": secrets["environment"]!,
                        ])
                    defer { master.send(SIGKILL) }
                    let port = try #require(try await master.httpPort(), "\(master.logText.suffix(2000))")
                    let base = try #require(URL(string: "http://127.0.0.1:\(port)"))
                    try await force(base)
                    #expect(
                        await waitUntil(limit: .seconds(60)) {
                            (try? await httpGet(base, "/api/v2/builds?complete=true"))?["meta", "total"] == .number(1)
                        })
                    #expect(try await httpGet(base, "/api/v2/builds")["builds", 0, "results"] == .number(0))
                    master.send(SIGTERM)
                    _ = await master.waitForExit()
                    let log = master.logText
                    #expect(log.contains("trace"), "the master logged at trace level")
                    for (kind, secret) in secrets.sorted(by: { $0.key < $1.key }) {
                        #expect(!log.contains(secret), "the \(kind) secret is in the trace log")
                    }
                    if case .postgres(let location) = url, let password = location.password {
                        #expect(!log.contains(":\(password)@"), "the database password is in the trace log")
                    }
                }
            }
        }

        @Test("a master started with a low soft descriptor limit raises it to the hard limit")
        func descriptorLimit() async throws {
            try await withDirectory { directory in
                let file = directory.appendingPathComponent("limited.yaml")
                try "name: limited\nhttp: 127.0.0.1:0\nbuilders: [{name: b}]\n".write(
                    to: file, atomically: true, encoding: .utf8)
                let log = directory.appendingPathComponent("limited.log")
                let shell = Process()
                shell.executableURL = URL(fileURLWithPath: "/bin/sh")
                shell.arguments = [
                    "-c", #"ulimit -Sn 256 && exec "$0" master --config "$1" --exit-with-parent 2>"$2""#,
                    GantryProcess.executable.path, file.path, log.path,
                ]
                let exited = try shell.start()
                defer { kill(shell.processIdentifier, SIGKILL) }
                #expect(
                    await waitUntil {
                        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("gantry.http.address=")
                    })
                let limits = try String(contentsOfFile: "/proc/\(shell.processIdentifier)/limits", encoding: .utf8)
                let line = try #require(limits.split(separator: "\n").first { $0.hasPrefix("Max open files") })
                let numbers = line.split(separator: " ").compactMap { Int($0) }
                #expect(numbers.count == 2 && numbers[0] == numbers[1] && numbers[0] > 256, "\(line)")
                kill(shell.processIdentifier, SIGTERM)
                var iterator = exited.makeAsyncIterator()
                _ = await iterator.next()
            }
        }

        @Test("a master whose HTTP address is taken exits non-zero, says so, and never joins the cluster")
        func portTaken() async throws {
            try await withDirectory { directory in
                let first = try MasterProcess(name: "first", config: "http: 127.0.0.1:0\n", directory: directory)
                defer { first.send(SIGKILL) }
                let port = try #require(try await first.httpPort(), "\(first.logText)")
                let second = try MasterProcess(
                    name: "second", config: "name: second\nhttp: 127.0.0.1:\(port)\n", directory: directory)
                defer { second.send(SIGKILL) }
                #expect(await second.waitForExit() == 1)
                #expect(
                    second.logText.contains(
                        "Error: cannot serve the HTTP API on 127.0.0.1:\(port): Address already in use"),
                    "\(second.logText)")
                // It registered its name, but never joined the cluster: never active, never checked in.
                let url = DatabaseURL.sqlite(.file(path: directory.appendingPathComponent("gantry.sqlite").path))
                let registered = try await Database.withDatabase(url, logger: silentLogger) { db in
                    try await db.masters.getMasters().items.first { $0.name == "second" }
                }
                #expect(registered?.active != true)
            }
        }

        @Test(
            "gantry sendchange stores a change through the base hook, a singleBranch scheduler builds it; a master without the hook refuses"
        )
        func sendChange() async throws {
            try await withDirectory { directory in
                let master = try MasterProcess(
                    name: "hooked",
                    config: """
                        http: 127.0.0.1:0
                        changeHooks: {base: {}}
                        claimPoll: 1s
                        builders: [{name: example}]
                        schedulers: [{name: main, type: singleBranch, branch: main, builderNames: [example]}]
                        """,
                    directory: directory)
                defer { master.send(SIGKILL) }
                let port = try #require(try await master.httpPort(), "\(master.logText)")
                let base = try #require(URL(string: "http://127.0.0.1:\(port)"))
                // The scheduler reads changes from its first activation on.
                #expect(
                    try await waitUntil {
                        try await httpGet(base, "/api/v2/schedulers")["schedulers", 0, "master"] != .null
                    })
                let sent = try await GantryProcess.run([
                    "sendchange", "--master", "http://127.0.0.1:\(port)", "--author", "ada", "--file", "a.c", "--file",
                    "b.c", "--branch", "main", "--revision", "r1", "--property", "ticket=42", "--when", "1700000000",
                ])
                #expect(sent.status == 0, "\(sent.standardError)")
                #expect(sent.standardOutput == "1\n")
                let url = DatabaseURL.sqlite(.file(path: directory.appendingPathComponent("gantry.sqlite").path))
                let change = try await Database.withDatabase(url, logger: silentLogger) { db in
                    try await db.changes.getChange(1)
                }
                #expect(change?.files == ["a.c", "b.c"])
                #expect(change?.properties == ["ticket": ["42", "Change"]])
                #expect(change?.branch == "main" && change?.revision == "r1")
                #expect(
                    try await waitUntil { try await httpGet(base, "/api/v2/buildsets")["meta", "total"] == .number(1) },
                    "\(master.logText)")

                let plain = try MasterProcess(
                    name: "plain", config: "name: plain\nhttp: 127.0.0.1:0\n", directory: directory)
                defer { plain.send(SIGKILL) }
                let plainPort = try #require(try await plain.httpPort(), "\(plain.logText)")
                let refused = try await GantryProcess.run([
                    "sendchange", "--master", "http://127.0.0.1:\(plainPort)", "--author", "ada",
                ])
                #expect(refused.status == 1)
                #expect(
                    refused.standardError
                        == "Error: the master refused the change: no change hook 'base' is configured on this master\n")
            }
        }
    }
}

extension ProcessTests {
    @Suite("gantry master reconfiguration", .timeLimit(.minutes(2)))
    struct ReconfigProcessTests {
        private static func config(_ schedulers: String) -> String {
            """
            name: live
            http: 127.0.0.1:0
            claimPoll: 1s
            builders: [{name: example}]
            schedulers:
            \(schedulers)
            """
        }

        /// The name of the master running each scheduler, by scheduler name (`nil` when none runs it).
        private func owners(_ base: URL) async throws -> [String: String?] {
            let answer = try await httpGet(base, "/api/v2/schedulers")
            var owners: [String: String?] = [:]
            for item in answer.json["schedulers"]?.elements ?? [] {
                guard let name = item["name"]?.string else { continue }
                owners.updateValue(item["master"]?["name"]?.string, forKey: name)
            }
            return owners
        }

        /// A master with a worker port, `workers` (password `pass`), and builders `a` and `b` with the workers given.
        private static func workersConfig(workers: [String], a: [String], b: [String]) -> String {
            """
            name: live
            http: 127.0.0.1:0
            workerPort: {address: "127.0.0.1:0"}
            workers: [\(workers.map { "{name: \($0), password: pass}" }.joined(separator: ", "))]
            builders:
              - {name: a, workers: [\(a.joined(separator: ", "))]}
              - {name: b, workers: [\(b.joined(separator: ", "))]}
            """
        }

        /// The builders each worker is configured on, by worker name, as the API lists them.
        private func configured(_ base: URL) async throws -> [String: Set<String>] {
            var builders: [Int: String] = [:]
            for item in try await httpGet(base, "/api/v2/builders").json["builders"]?.elements ?? [] {
                guard let id = item["builderid"]?.integer, let name = item["name"]?.string else { continue }
                builders[id] = name
            }
            var configured: [String: Set<String>] = [:]
            for item in try await httpGet(base, "/api/v2/workers").json["workers"]?.elements ?? [] {
                guard let name = item["name"]?.string else { continue }
                let ids = (item["configured_on"]?.elements ?? []).compactMap { $0["builderid"]?.integer }
                configured[name] = Set(ids.compactMap { builders[$0] })
            }
            return configured
        }

        @Test(
            "gantry reconfig leaves each worker configured on exactly its new builders; a dropped or removed one on none"
        )
        func reconfigWorkers() async throws {
            try await withDirectory { directory in
                let master = try MasterProcess(
                    name: "live",
                    config: Self.workersConfig(workers: ["wk1", "wk2", "wk3"], a: ["wk1", "wk2", "wk3"], b: ["wk1"]),
                    directory: directory)
                defer { master.send(SIGKILL) }
                let port = try #require(try await master.httpPort(), "\(master.logText)")
                let base = try #require(URL(string: "http://127.0.0.1:\(port)"))
                let first: [String: Set<String>] = ["wk1": ["a", "b"], "wk2": ["a"], "wk3": ["a"]]
                #expect(try await waitUntil { try await configured(base) == first }, "\(master.logText)")

                // wk1 stays in the configuration but leaves both builders, wk2 leaves the configuration, wk3 gains b.
                let file = directory.appendingPathComponent("live.yaml")
                try Self.workersConfig(workers: ["wk1", "wk3"], a: ["wk3"], b: ["wk3"])
                    .write(to: file, atomically: true, encoding: .utf8)
                let asked = try await GantryProcess.run(["reconfig", "--config", file.path])
                #expect(asked.status == 0, "\(asked.standardError)")
                let reloaded: [String: Set<String>] = ["wk1": [], "wk2": [], "wk3": ["a", "b"]]
                #expect(try await waitUntil { try await configured(base) == reloaded }, "\(master.logText)")
            }
        }

        @Test(
            "gantry reconfig starts new schedulers, stops removed ones, serves new force schedulers; a broken file changes nothing"
        )
        func reconfig() async throws {
            try await withDirectory { directory in
                let master = try MasterProcess(
                    name: "live",
                    config: Self.config("  - {name: old, type: periodic, builderNames: [example], interval: 1h}"),
                    directory: directory)
                defer { master.send(SIGKILL) }
                let port = try #require(try await master.httpPort(), "\(master.logText)")
                let base = try #require(URL(string: "http://127.0.0.1:\(port)"))
                let file = directory.appendingPathComponent("live.yaml")
                #expect(try await waitUntil { try await owners(base)["old"] == .some("live") })

                try Self.config(
                    """
                      - {name: new, type: periodic, builderNames: [example], interval: 1h}
                      - {name: force, type: force, builderNames: [example]}
                    """
                ).write(to: file, atomically: true, encoding: .utf8)
                let asked = try await GantryProcess.run(["reconfig", "--config", file.path])
                #expect(asked.status == 0, "\(asked.standardError)")
                let switched = try await waitUntil {
                    let owners = try await owners(base)
                    return owners["new"] == .some("live") && owners["force"] == .some("live")
                        && owners["old"] == .some(nil)
                }
                #expect(switched, "\(master.logText)")
                let forced = try await httpPost(
                    base, "/api/v2/forceschedulers/force", body: #"{"jsonrpc": "2.0", "method": "force", "id": 1}"#)
                #expect(forced.status == 200)

                try "schedulers: [{name: new, type: hourly}]\n".write(to: file, atomically: true, encoding: .utf8)
                let refused = try await GantryProcess.run(["reconfig", "--config", file.path])
                #expect(refused.status == 1)
                master.send(SIGHUP)
                #expect(await waitUntil { master.logText.contains("reconfiguration refused") })
                #expect(try await owners(base)["new"] == .some("live"))
                #expect(master.logText.contains("unknown scheduler type"))

                master.send(SIGTERM)
                #expect(await master.waitForExit() == 0)
                #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("live.pid").path))
            }
        }
    }
}
