import Foundation
import GantryConfig
import GantryMaster
import GantryModel
import GantryStorage
import GantryTesting
import Prometheus
import ServiceLifecycle
import Testing

/// A master started in this process, without the executable: it joins the cluster, serves its API and its
/// workers, takes a reload, and leaves the cluster cleanly when shut down.
@Suite("Master in process", .paced, .serialized)
struct InProcessMasterTests {
    /// Runs a master of `yaml` on `database` for the length of `body`, which gets it and its API's address, then
    /// shuts it down gracefully and waits until it has stopped.
    private func withMaster(
        _ yaml: String, database: Database, directory: URL,
        _ body: (GantryMaster.Master, URL) async throws -> Void
    ) async throws {
        let configuration = try ConfigLoader(basedir: directory.path).parse(yaml)
        let (ports, listening) = AsyncStream<Int>.makeStream()
        let master = try await Master.register(
            configuration, database: database, metrics: PrometheusCollectorRegistry(), logger: silentLogger,
            onHTTPListening: { listening.yield($0) })
        let group = ServiceGroup(services: [master], logger: silentLogger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            do {
                try await body(master, try #require(URL(string: "http://127.0.0.1:\(port)")))
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    private static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-im-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test("joins the cluster, applies a reload, and leaves cleanly", arguments: TestBackend.enabled)
    func joinsReloadsAndLeaves(backend: TestBackend) async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await withTestDatabase(backend) { db in
            let yaml = """
                name: inproc
                http: 127.0.0.1:0
                builders: [{name: b1, workers: [], steps: []}]
                schedulers:
                  - {type: force, name: force, builderNames: [b1]}
                """
            try await withMaster(yaml, database: db, directory: directory) { master, base in
                // Joining is not what is timed here: beside the rest of the suite on two cores it can take a while.
                #expect(
                    await waitUntil(limit: .seconds(90)) {
                        (try? await db.masters.getMaster(master.id))?.active == true
                    })
                let before = try await httpGet(base, "/api/v2/forceschedulers")
                #expect(before["forceschedulers", 0, "name"] == .string("force"))
                var next = try ConfigLoader(basedir: directory.path).parse(yaml)
                next.schedulers = []
                await master.apply(next)
                let after = try await httpGet(base, "/api/v2/forceschedulers")
                #expect(after["forceschedulers"] == .array([]))
            }
            let stopped = try await db.masters.getMaster(try await db.masters.findMasterId("inproc"))
            #expect(stopped?.active == false)
        }
    }

    @Test("a reload that adds a builder records its workers on it before it returns", arguments: TestBackend.enabled)
    func reloadAddsBuilder(backend: TestBackend) async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await withTestDatabase(backend) { db in
            let yaml = """
                name: inproc-reload
                http: 127.0.0.1:0
                workerPort: {address: "127.0.0.1:0"}
                workers: [{name: wk1, password: pass1}]
                builders: [{name: b1, workers: [wk1], steps: []}]
                """
            try await withMaster(yaml, database: db, directory: directory) { master, _ in
                #expect(await waitUntil { (try? await db.masters.getMaster(master.id))?.active == true })
                var next = try ConfigLoader(basedir: directory.path).parse(yaml)
                next.builders.append(next.builders[0])
                next.builders[1].name = "b2"
                await master.apply(next)
                let b2 = try await db.builders.findBuilderId("b2")
                let configured = try await db.workers.getWorkers(builderid: b2).map(\.name)
                #expect(configured == ["wk1"])
            }
        }
    }

    @Test(
        "runs a build on a real buildbot-worker, and moves its finished log into a file",
        .enabled(if: BuildbotWorkerProcess.executable != nil, "GANTRY_TEST_BUILDBOT_WORKER is not set"),
        arguments: TestBackend.enabled)
    func runsABuild(backend: TestBackend) async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let workerPort = try freeLocalPort()
        try await withTestDatabase(backend) { db in
            let yaml = """
                name: inproc-build
                http: 127.0.0.1:0
                workerPort: {address: "127.0.0.1:\(workerPort)"}
                workers: [{name: wk1, password: pass1}]
                builders: [{name: b1, workers: [wk1], steps: [{shell: "echo in-process"}]}]
                schedulers:
                  - {type: force, name: force, builderNames: [b1]}
                logStorage: {type: files, directory: logs}
                """
            let logs = directory.appendingPathComponent("logs")
            try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
            try await withMaster(yaml, database: db, directory: directory) { _, base in
                let worker = try await BuildbotWorkerProcess(
                    name: "wk1", password: "pass1", masterPort: workerPort, directory: directory)
                defer { Task { await worker.stop() } }
                #expect(await waitUntil { (try? await db.workers.getWorkers())?.first?.connectedTo.isEmpty == false })
                let forced = try await httpPost(
                    base, "/api/v2/forceschedulers/force",
                    body: #"{"jsonrpc": "2.0", "method": "force", "id": 1}"#)
                #expect(forced.status == 200)
                let built = try await waitUntil { try await db.builds.getBuilds(complete: true).count == 1 }
                #expect(built, "\(worker.log)")
                let build = try #require(try await db.builds.getBuilds(complete: true).first)
                #expect(build.results == .success)
                let step = try #require(try await db.steps.getSteps(buildid: build.id).first)
                let log = try #require(try await db.logs.getLogs(stepid: step.id).first)
                // The log settles in the background, after its step ended.
                #expect(
                    await waitUntil { (try? FileManager.default.contentsOfDirectory(atPath: logs.path))?.count == 1 })
                #expect(await waitUntil { (try? await db.count("logchunks", where: "logid = \(log.id)")) == 0 })
                let raw = try await httpGetText(base, "/api/v2/logs/\(log.id)/raw")
                #expect(raw.status == 200 && raw.text.contains("in-process"), "\(raw.text)")
                await worker.stop()
            }
        }
    }
}
