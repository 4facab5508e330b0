import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("HTTP API: searching a log", .paced, .timeLimit(.minutes(3)))
struct LogSearchTests {
    @Test(
        "next and previous find lines across chunks, ignoring case, SGR codes and the stream character",
        arguments: TestBackend.enabled)
    func search(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let step = try await addStep(to: db)
            let log = try await db.logs.addLog(stepid: step, name: "stdio", kind: .stdio)
            try await db.logs.appendLog(log, "hrunning make\nofoo\n")  // lines 0 and 1
            try await db.logs.appendLog(log, "o\u{1B}[1;31mFo\u{1B}[0mO bar\neno match\n")  // 2 and 3
            // 4 to 43, a chunk each: more chunks than one read takes.
            for _ in 0..<40 { try await db.logs.appendLog(log, "onothing\n") }
            try await db.logs.appendLog(log, "efoo again\n")  // 44
            let text = try await db.logs.addLog(stepid: step, name: "notes", kind: .text)
            try await db.logs.appendLog(text, "ofoo\n")
            try await withAPIServer(db) { base in
                func line(_ query: String, in other: Int? = nil) async throws -> JSONValue? {
                    try await httpGet(base, "/api/v2/logs/\(other ?? log)/search?\(query)")["line"]
                }
                #expect(try await line("q=foo") == .number(1))
                #expect(try await line("q=FOO&from=1") == .number(2))
                #expect(try await line("q=foo&from=2&direction=next") == .number(44))
                #expect(try await line("q=foo&from=44") == .null)
                #expect(try await line("q=foo&direction=previous") == .number(44))
                #expect(try await line("q=foo&from=44&direction=previous") == .number(2))
                #expect(try await line("q=foo&from=2&direction=previous") == .number(1))
                #expect(try await line("q=foo&from=1&direction=previous") == .null)
                #expect(try await line("q=o%20bar") == .number(2))
                #expect(try await line("q=running") == .number(0))
                #expect(try await line("q=31m") == .null, "SGR codes are not text")
                #expect(try await line("q=ofoo") == .null, "nor is a stdio line's stream character")
                let inText = try await line("q=ofoo", in: text)
                #expect(inText == .number(0), "a text log has none")
            }
        }
    }

    @Test("bad options are refused with 400, an unknown log with 404")
    func badOptions() async throws {
        try await withTestDatabase(.sqlite) { db in
            let log = try await db.logs.addLog(stepid: try await addStep(to: db), name: "stdio", kind: .stdio)
            try await withAPIServer(db) { base in
                for query in [
                    "", "q=", "q=" + String(repeating: "a", count: 201), "q=a&from=x", "q=a&from=-2",
                    "q=a&direction=up", "q=a&colour=red",
                ] {
                    let answer = try await httpGet(base, "/api/v2/logs/\(log)/search?\(query)")
                    #expect(answer.status == 400 && answer["error"]?.string?.isEmpty == false, "\(query)")
                }
                let longest = String(repeating: "%C3%A9", count: 200)  // "é", as many as the limit allows
                #expect(try await httpGet(base, "/api/v2/logs/\(log)/search?q=\(longest)").status == 200)
                #expect(try await httpGet(base, "/api/v2/logs/999/search?q=a").status == 404)
            }
        }
    }
}
