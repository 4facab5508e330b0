import Foundation
import GantryStorage
import GantryTesting
import Testing

/// Runs `body` with two real masters, m1 and m2, on one PostgreSQL schema, each with two of the four real
/// buildbot-workers wk1...wk4 attached (wk1 and wk2 on m1), once every worker is connected and a master runs the
/// schedulers, and with the cluster's directory. `config` makes a master's configuration from its name, the database and the cluster's directory;
/// it declares the workers `wkN` with password `p-wkN`.
func withTwoMasterCluster(
    config: (_ name: String, _ url: DatabaseURL, _ directory: URL) -> String,
    _ body: (_ masters: [MasterProcess], _ bases: [URL], _ db: Database, _ directory: URL) async throws -> Void
) async throws {
    try await withCluster { url, directory in
        let masters = try ["m1", "m2"].map {
            try MasterProcess(name: $0, config: config($0, url, directory), directory: directory)
        }
        defer { for master in masters { master.send(SIGKILL) } }
        var bases: [URL] = []
        var processes: [BuildbotWorkerProcess] = []
        defer { for worker in processes { Task { await worker.stop() } } }
        for (index, master) in masters.enumerated() {
            let http = try #require(try await master.httpPort(), "\(master.logText)")
            bases.append(try #require(URL(string: "http://127.0.0.1:\(http)")))
            let port = try #require(try await master.workerPort(), "\(master.logText)")
            for name in twoMasterWorkers[(index * 2)..<(index * 2 + 2)] {
                processes.append(
                    try await BuildbotWorkerProcess(
                        name: name, password: "p-\(name)", masterPort: port, directory: directory))
            }
        }
        try await Database.withDatabase(url, logger: silentLogger) { db in
            let attached = try await waitUntil {
                try await db.workers.getWorkers().filter { !$0.connectedTo.isEmpty }.count == 4
            }
            #expect(attached, "\(masters[0].logText)")
            #expect(
                await waitUntil {
                    (try? await httpGetText(bases[0], "/api/v2/schedulers"))?.text.contains("\"master\":{") == true
                })
            try await body(masters, bases, db, directory)
        }
    }
}

/// The workers of ``withTwoMasterCluster(config:_:)``.
let twoMasterWorkers = (1...4).map { "wk\($0)" }

/// The `workers:` line declaring ``twoMasterWorkers``.
let twoMasterWorkersConfig =
    "workers: [\(twoMasterWorkers.map { "{name: \($0), password: p-\($0)}" }.joined(separator: ", "))]"
