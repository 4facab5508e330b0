import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

/// Paging numbers are the caller's to choose: no value of `limit`, `offset` or `order`, however large, may stop
/// the master; each is answered 200 or refused 400.
@Suite("HTTP API: paging bounds", .paced, .timeLimit(.minutes(3)))
struct PagingBoundsTests {
    static let collections = [
        "/api/v2/masters", "/api/v2/builders", "/api/v2/workers", "/api/v2/schedulers", "/api/v2/changes",
        "/api/v2/buildsets", "/api/v2/buildrequests", "/api/v2/builds", "/api/v2/forceschedulers", "/api/v2/pools",
        "/api/v2/builders/1/builds", "/api/v2/builds/1/steps", "/api/v2/steps/1/logs", "/api/v2/sourcestamps",
        "/api/v2/changesources", "/api/v2/builders/1/masters", "/api/v2/builders/1/buildrequests",
        "/api/v2/masters/1/workers", "/api/v2/workers/1/builds", "/api/v2/builds/1/changes",
    ]

    /// The edges of `Int` and a fixed-seed sample between them.
    static func numbers() -> [String] {
        var generator = SplitMix64(seed: 0x6761_6e74_7279)
        let edges: [Int] = [.min, .min + 1, -1, 0, 1, 2, 3, .max - 2, .max - 1, .max]
        let sampled = (0..<4).map { _ in Int(truncatingIfNeeded: generator.next()) }
        return (edges + sampled).map(String.init) + ["9223372036854775808", "-9223372036854775809", "1e3", ""]
    }

    @Test("every collection answers 200 or 400 to any limit and offset", arguments: TestBackend.enabled)
    func collections(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            try await Self.seed(db)
            try await withAPIServer(db) { base in
                let numbers = Self.numbers()
                for path in Self.collections {
                    for (index, limit) in numbers.enumerated() {
                        let offset = numbers[(index * 7 + 3) % numbers.count]
                        for query in ["limit=\(limit)&offset=\(offset)", "offset=\(limit)", "limit=\(limit)"] {
                            let answer = try await httpGet(base, "\(path)?\(query)")
                            #expect([200, 400].contains(answer.status), "\(path)?\(query): \(answer.status)")
                        }
                    }
                    for order in ["-", "--name", "name", "-name", "nosuchfield", "\u{0}"] {
                        let answer = try await httpGet(base, "\(path)?order=\(order)&limit=\(Int.max)&offset=1")
                        #expect([200, 400].contains(answer.status), "\(path)?order=\(order): \(answer.status)")
                    }
                }
                #expect(try await httpGet(base, "/api/v2/masters").status == 200)
            }
        }
    }

    @Test("a huge limit after an offset pages to the end", arguments: TestBackend.enabled)
    func hugeLimit(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            try await Self.seed(db)
            try await withAPIServer(db) { base in
                for path in ["/api/v2/builders", "/api/v2/workers", "/api/v2/schedulers", "/api/v2/builds"] {
                    let page = try await httpGet(base, "\(path)?offset=1&limit=\(Int.max)")
                    #expect(page.status == 200)
                    #expect(page["meta", "total"] == .number(2), "\(path)")
                }
            }
        }
    }

    @Test("log contents take any line numbers", arguments: TestBackend.enabled)
    func logContents(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let log = try await Self.seed(db)
            try await withAPIServer(db) { base in
                for number in Self.numbers() {
                    for query in ["offset=\(number)&limit=5", "offset=1&limit=\(number)", "offset=\(number)"] {
                        let answer = try await httpGet(base, "/api/v2/logs/\(log)/contents?\(query)")
                        #expect([200, 400].contains(answer.status), "\(query): \(answer.status)")
                    }
                }
                let tail = try await httpGet(base, "/api/v2/logs/\(log)/contents?offset=1&limit=\(Int.max)")
                #expect(tail["logchunks", 0, "content"] == .string("osecond\n"))
            }
        }
    }

    /// Two of everything the collections list; the id of a log of two lines.
    @discardableResult
    static func seed(_ db: Database) async throws -> Int {
        let master = try await db.masters.findMasterId("m1")
        let builders = [try await db.builders.findBuilderId("a"), try await db.builders.findBuilderId("b")]
        try await db.builders.updateBuilderList(master, builderids: builders)
        for name in ["w1", "w2"] { _ = try await db.workers.findWorkerId(name) }
        for name in ["s1", "s2"] { _ = try await db.schedulers.findSchedulerId(name) }
        let (_, requests) = try await db.buildsets.addBuildset(reason: "r", builderids: builders)
        var log = 0
        for builder in builders {
            let build = try await db.builds.addBuild(
                builderid: builder, buildrequestid: requests[builder]!, workerid: nil, masterid: master)
            let step = try await db.steps.addStep(buildid: build.id, name: "shell")
            log = try await db.logs.addLog(stepid: step.id, name: "stdio", kind: .stdio)
            _ = try await db.logs.appendLog(log, "ofirst\nosecond\n")
        }
        return log
    }
}
