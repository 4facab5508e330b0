import Foundation
import GantryTesting
import Testing

extension ProcessTests {
    /// A real `gantry master` with workers configured, and unmodified buildbot-workers connecting to it.
    @Suite(
        "workers connecting to a gantry master",
        .enabled(if: BuildbotWorkerProcess.executable != nil, "GANTRY_TEST_BUILDBOT_WORKER is not set"),
        .timeLimit(.minutes(3))
    )
    struct WorkerConnectionProcessTests {
        @Test("a configured worker is recorded as connected with its info, and as disconnected once it dies")
        func connectAndDisconnect() async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "gantry-wc-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            try "s3cret\n".write(to: directory.appendingPathComponent("wk2.pass"), atomically: true, encoding: .utf8)
            let master = try MasterProcess(
                name: "wmaster",
                config: """
                    name: wmaster
                    http: 127.0.0.1:0
                    workerPort: {address: "127.0.0.1:0", keepalive: 1s}
                    workers:
                      - {name: wk1, password: pass1}
                      - {name: wk2, passwordFile: wk2.pass}
                    """,
                directory: directory
            )
            defer { master.send(SIGKILL) }
            let http = try #require(try await master.httpPort(), "\(master.logText)")
            let port = try #require(try await master.workerPort(), "\(master.logText)")
            let base = try #require(URL(string: "http://127.0.0.1:\(http)"))

            let worker = try await BuildbotWorkerProcess(
                name: "wk1", password: "pass1", masterPort: port, directory: directory)
            let intruder = try await BuildbotWorkerProcess(
                name: "wk2", password: "wrong", masterPort: port, directory: directory)
            defer { Task { await worker.stop() } }
            /// The masters worker `name` is connected to, as the API says.
            func connections(_ name: String) async throws -> Int? {
                try await httpGet(base, "/api/v2/workers?name=\(name)")["workers", 0, "connected_to"]?.elements.count
            }
            let connected = try await waitUntil { try await connections("wk1") == 1 }
            #expect(connected, "\(master.logText)")
            let info = try await httpGet(base, "/api/v2/workers?name=wk1")
            #expect(info["workers", 0, "workerinfo", "version"] == .string("4.3.0"))
            #expect(info["workers", 0, "workerinfo", "basedir"] == .string(worker.basedir.path))

            #expect(await waitUntil { intruder.log.contains("[401]") })
            await intruder.stop()
            let listed = try await waitUntil {
                try await httpGet(base, "/api/v2/workers?name=wk2")["meta", "total"] == .number(1)
            }
            #expect(listed, "a refused worker is listed, as every configured one is")
            let refused = try await httpGet(base, "/api/v2/workers?name=wk2")
            #expect(refused["workers", 0, "connected_to"] == [], "but not connected")
            #expect(
                !master.logText.contains("wrong") && !master.logText.contains("pass1"), "passwords are never logged")

            // Keepalives run every second: the master keeps the worker, then notices it is gone.
            try await Task.sleep(for: .seconds(2))
            #expect(try await connections("wk1") == 1)
            worker.send(SIGKILL)
            let gone = try await waitUntil { try await connections("wk1") == 0 }
            #expect(gone, "\(master.logText)")
        }

        @Test(
            "a build run again after a master restart completes although the worker still runs the lost build's command"
        )
        func commandIDsAcrossRestarts() async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "gantry-wr-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let workerPort = try freeLocalPort()
            // The first run sleeps 8 s; the run after the restart, 12 s: the lost command ends first, while the
            // new one runs. A worker that confused the two would never report the new one's end.
            let config = """
                name: rmaster
                http: 127.0.0.1:0
                workerPort: {address: "127.0.0.1:\(workerPort)"}
                workers: [{name: wk1, password: pass1}]
                builders:
                  - name: b
                    workers: [wk1]
                    steps: [{name: work, shell: "if [ -e ../ran ]; then sleep 12; echo second; else touch ../ran; sleep 8; echo first; fi"}]
                schedulers: [{name: force, type: force, builderNames: [b]}]
                """
            var master = try MasterProcess(name: "rmaster", config: config, directory: directory)
            defer { master.send(SIGKILL) }
            let worker = try await BuildbotWorkerProcess(
                name: "wk1", password: "pass1", masterPort: workerPort, directory: directory)
            defer { Task { await worker.stop() } }
            var http = try #require(try await master.httpPort())
            var base = try #require(URL(string: "http://127.0.0.1:\(http)"))
            #expect(
                await waitUntil {
                    (try? await httpGet(base, "/api/v2/workers?name=wk1"))?["workers", 0, "connected_to"]?.elements
                        .count == 1
                })
            try await force(base)
            // The first run's command has started on the worker (it leaves its mark) before the master dies.
            let mark = worker.basedir.appendingPathComponent("b/ran")
            #expect(await waitUntil { FileManager.default.fileExists(atPath: mark.path) })

            master.send(SIGKILL)
            _ = await master.waitForExit()
            master = try MasterProcess(name: "rmaster", config: config, directory: directory)
            http = try #require(try await master.httpPort())
            base = try #require(URL(string: "http://127.0.0.1:\(http)"))
            let rebuilt = await waitUntil(limit: .seconds(60)) {
                (try? await httpGet(base, "/api/v2/buildrequests?complete=true"))?["meta", "total"] == .number(1)
            }
            #expect(rebuilt, "\(master.logText.suffix(3000))\n\(worker.log.suffix(3000))")
            let builds = try await httpGet(base, "/api/v2/builds")
            #expect(builds["builds", 0, "results"] == .number(5), "the lost build ended RETRY")
            #expect(builds["builds", 1, "results"] == .number(0), "the build run again succeeded")
            // Its log is its own command's output, never the lost command's.
            let step = try #require(try await httpGet(base, "/api/v2/builds/2/steps")["steps", 0, "stepid"]?.integer)
            let log = try #require(try await httpGet(base, "/api/v2/steps/\(step)/logs")["logs", 0, "logid"]?.integer)
            let text = try await httpGetText(base, "/api/v2/logs/\(log)/raw").text
            #expect(text.contains("second\n") && !text.contains("first\n"), "\(text)")
        }

        @Test("a second connection under a connected worker's name is refused while the first answers, taken after")
        func duplicate() async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "gantry-wd-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let master = try MasterProcess(
                name: "dmaster",
                config: """
                    name: dmaster
                    http: 127.0.0.1:0
                    workerPort: {address: "127.0.0.1:0"}
                    workers: [{name: wk1, password: pass1}]
                    """,
                directory: directory
            )
            defer { master.send(SIGKILL) }
            let port = try #require(try await master.workerPort(), "\(master.logText)")
            let first = try await BuildbotWorkerProcess(
                name: "wk1", password: "pass1", masterPort: port, directory: directory.appendingPathComponent("a"))
            #expect(await waitUntil { master.logText.contains("worker connected") })
            let second = try await BuildbotWorkerProcess(
                name: "wk1", password: "pass1", masterPort: port, directory: directory.appendingPathComponent("b"))
            defer { Task { await second.stop() } }
            #expect(await waitUntil { master.logText.contains("duplicate connection refused") }, "\(master.logText)")
            await first.stop()
            // The second worker retries with backoff and is accepted once the first is gone.
            let replaced = await waitUntil(limit: .seconds(30)) {
                master.logText.components(separatedBy: "worker connected").count == 3
            }
            #expect(replaced, "\(master.logText)")
        }
    }
}
