import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("gantry master process")
struct MasterProcessTests {
    @Test("a master on SQLite claims its scheduler, builds, and stops cleanly on SIGTERM")
    func runAndTerminate() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gantry-master-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("master.yaml")
        try """
        name: test-master
        heartbeat: 1s
        expireAfter: 5s
        claimPoll: 1s
        schedulers:
          - name: often
            type: periodic
            builderNames: [example]
            interval: 1h
        """.write(to: config, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = GantryProcess.executable
        process.arguments = ["master", "--config", config.path]
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        let exited = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { exited.continuation.yield($0.terminationStatus) }
        try process.run()

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

        process.terminate()
        var iterator = exited.stream.makeAsyncIterator()
        let status = await iterator.next()
        #expect(status == 0)
        let (masters, claims) = try await Database.withDatabase(url, logger: silentLogger) { db in
            (try await db.masters.getMasters().items, try await db.schedulers.getSchedulers(active: true))
        }
        #expect(masters.map(\.name) == ["test-master"])
        #expect(masters.map(\.active) == [false])
        #expect(claims.isEmpty)
    }
}
