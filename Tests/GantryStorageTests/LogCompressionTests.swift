import Foundation
import GantryModel
import GantryTesting
import Testing

@testable import GantryStorage

@Suite("Log storage: compressed chunks, merged once a log is settled", .paced, .timeLimit(.minutes(3)))
struct LogCompressionTests {
    let time = ManualWallClock()

    @Test(
        "a step's log of one chunk is settled by the transaction that finishes the step; one of more chunks, or kept in files, is left to the log settler",
        arguments: TestBackend.enabled)
    func settledWithItsStep(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let master = try await db.masters.findMasterId("m1")
            /// A log finished with its step after `appended` lines were written, and `last` appended as it ends.
            func finished(_ storage: LogStorage, appended: String?, last: String) async throws -> Int {
                let log = try await LogFixture.newLog(db)
                if let appended { _ = try await db.logs.appendLog(log, appended) }
                let step = try #require(try await db.logs.getLog(log)).stepID
                try await db.steps.finishStep(
                    step, results: .success, logs: [log], lastLines: [log: last], logStorage: storage)
                return log
            }
            let one = try await finished(.database, appended: nil, last: "hcommand\noout\n")
            let many = try await finished(.database, appended: "hcommand\n", last: "oout\n")
            let files = try await finished(.files(directory: "/nonexistent"), appended: nil, last: "hcommand\noout\n")
            #expect(try await db.logs.logsToSettle(masterid: master, limit: 10) == [many, files])
            for log in [one, many, files] {
                let stored = try #require(try await db.logs.getLog(log))
                #expect(stored.complete && stored.numLines == 2)
                #expect(try await db.logs.getLogLines(log, first: 0, last: 1) == "hcommand\noout\n")
            }
            let events = try await db.events.events(after: 0, limit: 100).map(\.key)
            #expect(events.contains("logs/\(one)/append") && events.contains("logs/\(one)/finished"))
            try await db.logs.finishLog(one)
            #expect(
                try await db.logs.logsToSettle(masterid: master, limit: 10) == [many, files],
                "a settled log finished again stays settled")
            let step = try #require(try await db.logs.getLog(many)).stepID
            await #expect(throws: GantryError.self, "last lines only for a log the step's end finishes") {
                try await db.steps.finishStep(step, results: .success, lastLines: [many: "oout\n"])
            }
        }
    }

    @Test(
        "build output is stored in a fraction of its text once finished, and reads back byte for byte",
        arguments: TestBackend.enabled)
    func compressed(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let log = try await LogFixture.newLog(db)
            let lines = LogFixture.buildOutput(3000)
            let text = LogFixture.text(lines)
            try await LogFixture.append(lines, to: log, by: 10, db)
            let appended = try await LogFixture.storedBytes(db, log)
            #expect(appended < text.utf8.count, "chunks of ten lines are compressed as they arrive")
            try await db.logs.finishLog(log)
            #expect(try await db.logs.settleLog(log, storage: .database) != .unchanged)
            let finished = try await LogFixture.storedBytes(db, log)
            #expect(finished * 4 < text.utf8.count, "\(finished) bytes stored for \(text.utf8.count) of text")
            #expect(finished * 3 < appended * 2, "merged chunks compress better than small ones")
            #expect(try await db.count("logchunks", where: "logid = \(log)") <= 8, "300 appends, a few chunks")

            let stored = try #require(try await db.logs.getLog(log))
            #expect(stored.numLines == 3000 && stored.complete)
            #expect(try await db.logs.getLogLines(log, first: 0, last: 2999) == text)
            #expect(try await db.logs.getLogLines(log, first: 1234, last: 1240) == LogFixture.text(lines[1234...1240]))
            #expect(try await db.logs.getLogLines(log, first: 2990, last: 5000) == LogFixture.text(lines[2990...]))
            #expect(try await allLines(db, log) == text)
            #expect(try await db.logs.compressLog(log) == 0, "a merged log has nothing left to merge")
        }
    }

    @Test(
        "a read with a byte budget stops at the last whole line within it, and always gives the first line",
        arguments: TestBackend.enabled)
    func budget(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let log = try await LogFixture.newLog(db)
            let lines = LogFixture.buildOutput(3000)
            try await LogFixture.append(lines, to: log, by: 10, db)
            try await db.logs.finishLog(log)
            #expect(try await db.logs.settleLog(log, storage: .database) != .unchanged)
            let whole = LogFixture.text(lines[100...])
            let part = try await db.logs.getLogLines(log, first: 100, last: 2999, maxBytes: 10_000)
            #expect(part.utf8.count <= 10_000 && part.utf8.count > 9_000 && whole.hasPrefix(part))
            #expect(part.hasSuffix("\n"))
            let first = try await db.logs.getLogLines(log, first: 100, last: 2999, maxBytes: 1)
            #expect(first == LogFixture.text(lines[100...100]))
            #expect(try await db.logs.getLogLines(log, first: 100, last: 2999) == whole)
        }
    }

    @Test("a line longer than a chunk is stored whole, appended and once merged", arguments: TestBackend.enabled)
    func longLine(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let log = try await LogFixture.newLog(db)
            let long = "o" + String(repeating: "0", count: 1_100_000) + "\n"
            try await db.logs.appendLog(log, "hstart\n")
            try await db.logs.appendLog(log, long)
            try await db.logs.appendLog(log, "hend\n")
            #expect(try await db.logs.getLogLines(log, first: 0, last: 2) == "hstart\n" + long + "hend\n")
            try await db.logs.finishLog(log)
            #expect(try await db.logs.settleLog(log, storage: .database) != .unchanged)
            #expect(try await db.logs.getLog(log)?.numLines == 3)
            #expect(try await db.logs.getLogLines(log, first: 0, last: 2) == "hstart\n" + long + "hend\n")
        }
    }

    @Test(
        "a log that compresses very well is merged a part at a time and reads back whole",
        arguments: TestBackend.enabled)
    func repetitive(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let log = try await LogFixture.newLog(db)
            // 18 MiB of progress lines: more text than one merge decodes.
            let line = "o" + String(repeating: ".", count: 62) + "\n"
            let count = (18 << 20) / line.utf8.count
            try await db.logs.appendLog(log, String(repeating: line, count: count))
            #expect(try await LogFixture.storedBytes(db, log) * 100 < count * line.utf8.count)
            try await db.logs.finishLog(log)
            #expect(try await db.logs.settleLog(log, storage: .database) != .unchanged)
            let chunks = try await db.count("logchunks", where: "logid = \(log)")
            #expect(chunks < count * line.utf8.count / (64 << 10), "\(chunks) chunks")
            let tail = try await db.logs.getLogLines(log, first: count - 3, last: count + 5)
            #expect(tail == String(repeating: line, count: 3))
            var lines = 0
            try await db.logs.withLines(log) { text in
                #expect(text.utf8.count % line.utf8.count == 0 && text.hasPrefix(line))
                lines += text.utf8.count / line.utf8.count
            }
            #expect(lines == count)
        }
    }

    @Test(
        "NUL bytes, carriage returns, empty lines and bytes that are not UTF-8 read as they did before compression",
        arguments: TestBackend.enabled)
    func everyByte(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let log = try await LogFixture.newLog(db)
            let lines = (0..<300).map { "oline \($0)\u{0}with a NUL, é and progress\r" } + ["", "o", "e\r"]
            try await LogFixture.append(lines, to: log, by: 30, db)
            // Bytes that are not UTF-8 cannot come through `appendLog`'s String, but a row written by a Buildbot
            // import or a worker's raw bytes may hold them.
            let invalid = Data([0x6F, 0xFF, 0xFE, 0x0A, 0x6F, 0xC3])
            try await LogFixture.insertChunk(db, log, first: lines.count, last: lines.count + 1, content: invalid)
            let expected = LogFixture.text(lines) + String(decoding: invalid, as: UTF8.self) + "\n"
            #expect(try await db.logs.getLogLines(log, first: 0, last: 400) == expected)

            try await db.logs.finishLog(log)
            #expect(try await db.logs.settleLog(log, storage: .database) != .unchanged)
            #expect(try await db.count("logchunks", where: "logid = \(log)") == 1)
            #expect(try await db.logs.getLogLines(log, first: 0, last: 400) == expected)
            #expect(try await allLines(db, log) == expected)
            let bytes = try await chunks(db, log).map(\.text)
            #expect(bytes == [Data(LogFixture.text(lines).utf8) + invalid], "the bytes themselves are kept")
        }
    }

    @Test(
        "a log stored before compression (raw chunks, compressed = 0) still reads, searches and merges",
        arguments: TestBackend.enabled)
    func storedBefore(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let log = try await LogFixture.newLog(db)
            let lines = LogFixture.buildOutput(1000, seed: 3) + ["ethe needle"] + LogFixture.buildOutput(199, seed: 4)
            // As appends stored them before: one raw row of whole lines each, without the column.
            for first in stride(from: 0, to: lines.count, by: 20) {
                let content = Data(lines[first..<(first + 20)].joined(separator: "\n").utf8)
                try await LogFixture.insertChunk(db, log, first: first, last: first + 19, content: content)
            }
            let text = LogFixture.text(lines)
            #expect(try await db.logs.getLogLines(log, first: 0, last: 1199) == text)
            #expect(try await search(db, log, "NEEDLE", from: 0) == 1000)
            let before = try await LogFixture.storedBytes(db, log)

            let saved = try await db.logs.compressLog(log)
            let after = try await LogFixture.storedBytes(db, log)
            #expect(saved == before - after && after * 4 < before, "\(before) bytes before, \(after) after")
            #expect(try await db.logs.getLogLines(log, first: 0, last: 1199) == text)
            #expect(try await db.logs.getLogLines(log, first: 999, last: 1001) == LogFixture.text(lines[999...1001]))
            #expect(try await allLines(db, log) == text)
            #expect(try await search(db, log, "needle", from: 0) == 1000)
            #expect(try await search(db, log, "needle", from: 1199, direction: .previous) == 1000)
        }
    }

    @Test(
        "a reader that reads across a merge gets every line exactly once, and a log merged in part reads whole",
        arguments: TestBackend.enabled)
    func readDuringMerge(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let log = try await LogFixture.newLog(db)
            let lines = LogFixture.buildOutput(1000, seed: 5)
            // Five lines an append: a hundred chunks, far more than one read takes.
            try await LogFixture.append(Array(lines[..<500]), to: log, by: 5, db)
            // Merged while still written (as a one-off compaction of a running build's log may do), then more.
            try await db.logs.compressLog(log)
            try await LogFixture.append(Array(lines[500...]), to: log, by: 5, db)
            let text = LogFixture.text(lines)
            #expect(try await db.logs.getLogLines(log, first: 0, last: 999) == text)
            let needle = lines[700].dropFirst().lowercased()
            let match = lines.indices.first { $0 > 499 && lines[$0].dropFirst().lowercased().contains(needle) }
            #expect(try await search(db, log, needle, from: 499) == match)

            // The chunks already read are merged, with the ones not yet read, into chunks starting before them.
            var read = ""
            var reads = 0
            try await db.logs.withLines(log) { piece in
                read += piece
                reads += 1
                if reads == 1 { try await db.logs.compressLog(log) }
            }
            #expect(read == text)
            #expect(reads > 2)
            #expect(try await db.logs.getLogLines(log, first: 0, last: 999) == text)
        }
    }

    @Test(
        "search finds in merged, compressed chunks what it finds in the lines themselves",
        arguments: TestBackend.enabled)
    func searchCompressed(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let log = try await LogFixture.newLog(db)
            var lines = LogFixture.buildOutput(2000, seed: 9)
            lines[17] = "o\u{1B}[1;31mError\u{1B}[0m: linker failed"
            lines[1500] = "eERROR: test_wire_3 failed"
            try await LogFixture.append(lines, to: log, by: 25, db)
            try await db.logs.finishLog(log)
            #expect(try await db.logs.settleLog(log, storage: .database) != .unchanged)
            #expect(try await db.count("logchunks", where: "logid = \(log) AND compressed = 1") > 0)
            #expect(try await search(db, log, "error", from: 0) == 17)
            #expect(try await search(db, log, "error", from: 17) == 1500)
            #expect(try await search(db, log, "error", from: 1500) == nil)
            #expect(try await search(db, log, "error", from: 2000, direction: .previous) == 1500)
            #expect(try await search(db, log, "error", from: 1500, direction: .previous) == 17)
            #expect(try await search(db, log, "31m", from: 0) == nil, "colour codes are not text")
            for (index, line) in lines.enumerated() where index % 97 == 0 {
                let needle = String(line.dropFirst())
                let first = try #require(lines.firstIndex { $0.dropFirst().lowercased().contains(needle.lowercased()) })
                #expect(try await search(db, log, needle, from: -1) == first, "line \(index)")
            }
        }
    }

    @Test(
        "a large append is stored in chunks of at most 64 KiB of text, a longer line whole",
        arguments: TestBackend.enabled)
    func largeAppend(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let log = try await LogFixture.newLog(db)
            let lines =
                LogFixture.buildOutput(4000, seed: 11) + ["o" + String(repeating: "x", count: 100_000), "odone"]
            let text = LogFixture.text(lines)
            #expect(try await db.logs.appendLog(log, text) == 0...4001)
            let stored = try await chunks(db, log)
            #expect(stored.count > 4)
            #expect(stored.filter { $0.text.count > EncodedLogChunk.largestText }.map(\.firstLine) == [4000])
            #expect(try await db.logs.getLogLines(log, first: 0, last: 4001) == text)
            #expect(try await db.logs.getLogLines(log, first: 4000, last: 4000) == LogFixture.text([lines[4000]]))
        }
    }

    @Test(
        "a corrupt or unreadable chunk is a clear error for every reader, and finishing its log still completes it",
        arguments: TestBackend.enabled)
    func corrupt(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let log = try await LogFixture.newLog(db)
            try await db.logs.appendLog(log, "ofirst\nosecond\n")
            try await LogFixture.insertChunk(
                db, log, first: 2, last: 3, content: Data("not zlib at all".utf8), compressed: 1)
            func refused(_ read: () async throws -> Void) async -> GantryError? {
                await #expect(throws: GantryError.self) { try await read() }
            }
            let errors = [
                await refused { _ = try await db.logs.getLogLines(log, first: 0, last: 3) },
                await refused { try await db.logs.withLines(log) { _ in } },
                await refused { _ = try await search(db, log, "zlib", from: 0) },
                await refused { try await db.logs.compressLog(log) },
            ]
            for error in errors {
                #expect(error?.code == .corruptState)
                #expect(error?.message.contains("lines 2–3 of log \(log)") == true, "\(String(describing: error))")
                #expect(error?.message.contains("corrupt") == true, "\(String(describing: error))")
            }
            #expect(try await db.logs.getLogLines(log, first: 0, last: 1) == "ofirst\nosecond\n", "the rest reads")
            try await db.logs.finishLog(log)
            #expect(try await db.logs.getLog(log)?.complete == true)

            let other = try await LogFixture.newLog(db)
            try await LogFixture.insertChunk(db, other, first: 0, last: 0, content: Data("ox".utf8), compressed: 3)
            let unknown = await refused { _ = try await db.logs.getLogLines(other, first: 0, last: 0) }
            #expect(unknown?.message.contains("method 3") == true, "\(String(describing: unknown))")
            let miscounted = try await LogFixture.newLog(db)
            try await LogFixture.insertChunk(db, miscounted, first: 0, last: 2, content: Data("oa\nob".utf8))
            let short = await refused { _ = try await db.logs.getLogLines(miscounted, first: 0, last: 2) }
            #expect(short?.code == .corruptState && short?.message.contains("holds 2 lines") == true)
        }
    }

    /// Every line of `log` as ``LogsConnector/withLines(_:_:)`` hands them out.
    private func allLines(_ db: Database, _ log: Int) async throws -> String {
        var text = ""
        try await db.logs.withLines(log) { text += $0 }
        return text
    }

    private func search(
        _ db: Database, _ log: Int, _ text: String, from line: Int, direction: LogsConnector.SearchDirection = .next
    ) async throws -> Int? {
        try await db.logs.searchLog(log, kind: .stdio, for: text, from: line, direction: direction)
    }

    /// The stored chunks of `log`, decoded, in line order.
    private func chunks(_ db: Database, _ log: Int) async throws -> [LogChunk] {
        try await db.withTransaction { sql in
            try await sql.raw(
                """
                SELECT first_line, last_line, content, compressed FROM logchunks
                WHERE logid = \(bind: log) ORDER BY first_line
                """
            ).all().map { try LogChunk($0, logid: log) }
        }
    }
}
