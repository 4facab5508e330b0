import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

/// The workers a build test starts: buildbot-workers or native ones.
enum WorkerKind {
    case buildbot, native
}

/// A running master with `count` workers of `kind` (named `wk1`, `wk2`... with passwords `pass1`, `pass2`...)
/// connected, configured with `builders` and `schedulers` (YAML lists); `body` gets the master, its API's
/// address, its database and the directory the workers' base directories are in.
func withBuildMaster(
    workers count: Int = 1, kind: WorkerKind = .buildbot, builders: String, schedulers: String,
    _ body: (MasterProcess, URL, Database, URL) async throws -> Void
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
    var stops: [@Sendable () async -> Void] = []
    defer { for stop in stops { Task { await stop() } } }
    for (name, password) in names {
        switch kind {
        case .buildbot:
            let worker = try await BuildbotWorkerProcess(
                name: name, password: password, masterPort: port, directory: directory)
            stops.append { await worker.stop() }
        case .native:
            let worker = try NativeWorkerProcess(name: name, password: password, masterPort: port, directory: directory)
            stops.append {
                worker.send(SIGKILL)
                _ = await worker.waitForExit()
            }
        }
    }
    let connected = await waitUntil { master.logText.components(separatedBy: "worker connected").count > count }
    #expect(connected, "\(master.logText)")
    let base = try #require(URL(string: "http://127.0.0.1:\(http)"))
    let url = DatabaseURL.sqlite(.file(path: directory.appendingPathComponent("gantry.sqlite").path))
    try await Database.withDatabase(url, logger: silentLogger) { db in try await body(master, base, db, directory) }
}

/// Forces the master's scheduler `force`.
/// Forces a build through force scheduler `scheduler` of the master at `base`, once a master runs it; a 503
/// (the scheduler moving between masters: nothing was written) is tried again.
func force(_ base: URL, scheduler: String = "force") async throws {
    #expect(
        await waitUntil {
            (try? await httpGetText(base, "/api/v2/schedulers?name=\(scheduler)"))?.text.contains("\"master\":{")
                == true
        }, "force scheduler '\(scheduler)' never ran")
    var status = 0
    for _ in 0..<100 {
        status = try await httpPost(
            base, "/api/v2/forceschedulers/\(scheduler)",
            body: #"{"jsonrpc": "2.0", "method": "force", "id": 1}"#
        ).status
        guard status == 503 else { break }
        try await Task.sleep(for: .milliseconds(100))
    }
    #expect(status == 200)
}

/// Forces a build and waits until `complete` requests are complete, showing the master's log if they never are.
func forceAndWait(_ base: URL, _ db: Database, _ master: MasterProcess, complete: Int = 1) async throws {
    try await force(base)
    let built = try await waitUntil { try await db.buildRequests.getBuildRequests(complete: true).count == complete }
    #expect(built, "\(master.logText)")
}

/// The stdio log of build `build`'s step `index`.
func log(_ db: Database, build: Int, step index: Int) async throws -> String {
    let step = try await db.steps.getSteps(buildid: build)[index]
    let log = try #require(try await db.logs.getLogs(stepid: step.id).first)
    return try await db.logs.getLogLines(log.id, first: 0, last: log.numLines)
}
