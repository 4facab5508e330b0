import GantryModel
import GantryStorage
import GantryTesting
import Testing

@testable import GantryBuilds

/// Output reaches the log as whole lines, whatever the worker's cuts, and keeps every byte it printed.
@Suite("A step's stdio log", .paced, .timeLimit(.minutes(3)))
struct StdioLogTests {
    /// A log of a fresh step, the function that reads all of its lines, and the one that closes it and finishes
    /// its step as a build does (returning whether every line was stored).
    private func stdioLog(
        _ db: Database, clock: any Clock<Duration> = ContinuousClock()
    ) async throws -> (StdioLog, lines: () async throws -> String, close: () async throws -> Bool) {
        let (master, _, request) = try await claimedRequest(in: db)
        let build = try await db.builds.addBuild(
            builderid: request.builderID, buildrequestid: request.id, workerid: nil, masterid: master)
        let step = try await db.steps.addStep(buildid: build.id, name: "shell")
        let id = try await db.logs.addLog(stepid: step.id, name: "stdio", kind: .stdio)
        let log = StdioLog(id: id, database: db, logger: silentLogger, clock: clock)
        return (
            log,
            {
                let stored = try #require(try await db.logs.getLog(id))
                return try await db.logs.getLogLines(id, first: 0, last: max(stored.numLines - 1, 0))
            },
            {
                let closed = await log.close()
                try await db.steps.finishStep(
                    step.id, results: .success, logs: [id],
                    lastLines: closed.lastLines.isEmpty ? [:] : [id: closed.lastLines])
                return closed.intact
            }
        )
    }

    @Test(
        "the lines of many updates are written together once the write interval passes, in order",
        arguments: TestBackend.enabled)
    func coalesced(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let clock = ManualClock()
            let (log, lines, close) = try await stdioLog(db, clock: clock)
            for number in 0..<50 { await log.append("line \(number)\n", prefix: "o") }
            #expect(try await lines() == "", "nothing written before the interval")
            while clock.sleeperCount == 0 { await Task.yield() }
            clock.advance(by: StdioLog.writeInterval)
            let first = (0..<50).map { "oline \($0)\n" }.joined()
            while try await lines() != first { await Task.yield() }
            for number in 50..<100 { await log.append("line \(number)\n", prefix: "o") }
            #expect(try await close(), "the rest is written as the step ends, without waiting")
            #expect(try await lines() == (0..<100).map { "oline \($0)\n" }.joined())
            #expect(try await db.count("logchunks") == 2, "one write for each batch")
            let events = try await db.events.events(after: 0, limit: 100).map(\.key)
            #expect(events.filter { $0.hasSuffix("/append") }.count == 2, "each batch is announced")
            #expect(events.last { $0.hasPrefix("logs/") }?.hasSuffix("/finished") == true)
        }
    }

    @Test("lines and secrets cut across updates are stored whole and masked", arguments: TestBackend.enabled)
    func assembled(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let (log, lines, close) = try await stdioLog(db)
            await log.mask(["token": "hunter2"])
            await log.append("pass: hun", prefix: "o")
            await log.append("warn", prefix: "e")
            await log.append("ter2 ok\nsecond ", prefix: "o")
            await log.append("ing\n", prefix: "e")
            await log.append("line\n", prefix: "o")
            await log.append("no newline", prefix: "o")
            #expect(try await close())
            let text = try await lines()
            #expect(text == "opass: <token> ok\newarning\nosecond line\nono newline\n")
            #expect(!text.contains("hun"))
        }
    }

    @Test("a secret with line breaks, cut across updates, is masked whole", arguments: TestBackend.enabled)
    func multiLineSecret(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let (log, lines, close) = try await stdioLog(db)
            await log.mask(["key": "-----BEGIN\nABC\n-----END"])
            await log.append("before\nx -----BEGIN\nAB", prefix: "o")
            await log.append("C\n-----END y\nafter\n", prefix: "o")
            await log.append("x -----BEGIN\nABC\n-----END and then some more text on the same line\n", prefix: "o")
            #expect(try await close())
            let text = try await lines()
            #expect(text == "obefore\nox <key> y\noafter\nox <key> and then some more text on the same line\n")
            #expect(!text.contains("BEGIN") && !text.contains("ABC"))
        }
    }

    @Test(
        "NUL, carriage returns, CRLF and the replacement characters of undecodable bytes are kept",
        arguments: TestBackend.enabled)
    func bytes(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let (log, lines, close) = try await stdioLog(db)
            let invalid = String(decoding: [0x61, 0xff, 0xfe, 0x62], as: UTF8.self)
            await log.append("a\u{0}b\nsecond\n", prefix: "o")
            await log.append("\(invalid)\n10%\r50%\r100%\nwin\r\n", prefix: "o")
            #expect(try await close())
            #expect(try await lines() == "oa\u{0}b\nosecond\no\(invalid)\no10%\r50%\r100%\nowin\r\n")
        }
    }

    @Test("a 10 MB line arriving in 4 KiB pieces is one line", arguments: TestBackend.enabled)
    func longLine(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let (log, lines, close) = try await stdioLog(db)
            let piece = String(repeating: "x", count: 4096)
            for _ in 0..<2560 { await log.append(piece, prefix: "o") }
            await log.append("\nafter\n", prefix: "o")
            #expect(try await close())
            let text = try await lines()
            let expected: Int = 4096 * 2560 + 2 + 7
            #expect(text.utf8.count == expected)
            #expect(text.hasSuffix("\noafter\n"))
        }
    }
}
