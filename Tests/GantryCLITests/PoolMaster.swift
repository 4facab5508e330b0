import Foundation
import GantryStorage
import GantryTesting
import Testing

extension ProcessTests {
    /// Runs `body` with a master named `name` on `config` (its YAML after the name, HTTP and worker port lines)
    /// in `directory`, on SQLite there, once its schedulers (if any) are claimed; `body` gets the master, its
    /// API's address and its database. The master is killed and waited for on every path, so none starts a
    /// worker after the test's cleanup.
    static func withPoolMaster(
        _ name: String, config: String, in directory: URL, _ body: (MasterProcess, URL, Database) async throws -> Void
    ) async throws {
        let master = try MasterProcess(
            name: name, config: "name: \(name)\nhttp: 127.0.0.1:0\nworkerPort: {address: \"127.0.0.1:0\"}\n" + config,
            directory: directory)
        do {
            let http = try #require(try await master.httpPort(), "\(master.logText)")
            let base = try #require(URL(string: "http://127.0.0.1:\(http)"))
            #expect(
                await waitUntil {
                    (try? await httpGet(base, "/api/v2/schedulers"))?["schedulers"]?.elements.allSatisfy {
                        $0["master"] != .null
                    } == true
                })
            let url = DatabaseURL.sqlite(.file(path: directory.appendingPathComponent("gantry.sqlite").path))
            try await Database.withDatabase(url, logger: silentLogger) { db in try await body(master, base, db) }
        } catch {
            master.send(SIGKILL)
            _ = await master.waitForExit()
            throw error
        }
        master.send(SIGKILL)
        _ = await master.waitForExit()
    }
}
