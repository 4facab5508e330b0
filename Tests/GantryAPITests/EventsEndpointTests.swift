import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("HTTP API: the event stream", .paced, .timeLimit(.minutes(3)))
struct EventsEndpointTests {
    @Test("a stream delivers the events its paths match, each with id, event and data", arguments: TestBackend.enabled)
    func delivers(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let step = try await addStep(to: db)
            let log = try await db.logs.addLog(stepid: step, name: "stdio", kind: .stdio)
            try await withAPIServer(db) { base in
                let query = "path=logs/*/append&path=logs/\(log)/finished"
                try await withEventStream(base, "/api/v2/events?\(query)") { stream in
                    try await withEventStream(base, "/api/v2/events?\(query)&format=message") { messages in
                        #expect(stream.status == 200 && stream.headers["content-type"] == ["text/event-stream"])
                        #expect(stream.headers["cache-control"] == ["no-store"])
                        try await stream.opened()
                        try await messages.opened()
                        #expect(stream.retry == 2000)
                        try await db.logs.appendLog(log, "ohello\n")
                        _ = try await db.logs.addLog(stepid: step, name: "other", kind: .text)  // logs/N/new: unasked
                        try await db.logs.finishLog(log)
                        let append = try #require(try await stream.next())
                        let finished = try #require(try await stream.next())
                        #expect(append.event == "logs/\(log)/append" && finished.event == "logs/\(log)/finished")
                        let stored = try await db.events.events(after: 0, limit: 1000)
                        let wanted = stored.filter { $0.key == append.event || $0.key == finished.event }
                        #expect([append.id, finished.id] == wanted.map { String?(String($0.id)) })
                        #expect(try JSONValue(json: append.data) == wanted.first?.payload)
                        #expect(try JSONValue(json: append.data)["logid"] == .number(Double(log)))

                        // The same events, untyped, with the key beside the payload.
                        for expected in wanted {
                            let message = try #require(try await messages.next())
                            #expect(message.event == nil && message.id == String(expected.id))
                            let data = try JSONValue(json: message.data)
                            #expect(data["key"] == .string(expected.key) && data["data"] == expected.payload)
                        }
                    }
                }
            }
        }
    }

    @Test("Last-Event-ID (or after) resumes right after that event: no gap, no repeat", arguments: TestBackend.enabled)
    func resumes(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let step = try await addStep(to: db)
            let log = try await db.logs.addLog(stepid: step, name: "stdio", kind: .stdio)
            // Written before the feed starts: served from the database.
            for line in 0..<3 { try await db.logs.appendLog(log, "o\(line)\n") }
            try await withAPIServer(db) { base in
                _ = try await feedNewest(base)
                // Written while the feed runs: served from its memory.
                for line in 3..<6 { try await db.logs.appendLog(log, "o\(line)\n") }
                let appends = try await db.events.events(after: 0, limit: 1000).filter {
                    $0.key == "logs/\(log)/append"
                }.map(\.id)
                #expect(appends.count == 6)
                let target = "/api/v2/events?path=logs/\(log)/append"
                for (index, id) in appends.dropLast().enumerated() {
                    let byHeader = index.isMultiple(of: 2)
                    try await withEventStream(
                        base, target + (byHeader ? "" : "&after=\(id)"),
                        headers: byHeader ? [("Last-Event-ID", "\(id)")] : []
                    ) { stream in
                        var received: [Int] = []
                        while received.count < appends.count - index - 1 {
                            received.append(try #require(try await stream.next()?.id.flatMap { Int($0) }))
                        }
                        #expect(received == Array(appends[(index + 1)...]))
                    }
                }
                // The header, sent by a browser reconnecting to the URL it began with, wins over `after`.
                let header = [("Last-Event-ID", "\(appends[3])")]
                try await withEventStream(base, target + "&after=\(appends[0])", headers: header) { stream in
                    #expect(try await stream.next()?.id == "\(appends[4])")
                    #expect(try await stream.next()?.id == "\(appends[5])")
                    try await db.logs.appendLog(log, "onew\n")
                    let next = try #require(try await stream.next()?.id.flatMap { Int($0) })
                    let newest = try await db.events.events(after: appends[5], limit: 1000).map(\.id)
                    #expect(newest == [next])
                }
            }
        }
    }

    @Test(
        "a client older than what was trimmed, or past every event, gets one resync and goes on from the newest",
        arguments: TestBackend.enabled)
    func resync(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let step = try await addStep(to: db)
            let log = try await db.logs.addLog(stepid: step, name: "stdio", kind: .stdio)
            try await withAPIServer(db, eventFeed: EventFeedSettings(inMemory: 2)) { base in
                for line in 0..<5 { try await db.logs.appendLog(log, "o\(line)\n") }
                let first = try #require(try await db.events.events(after: 0, limit: 1).first?.id)
                let last = try await db.events.latestEventID()
                _ = try await db.events.trim(olderThan: .distantPast, keepingAtMost: 2)
                #expect(try await db.events.trimmedThrough() > first)
                for (cursor, reason) in [(first, "trimmed"), (last + 1000, "newer")] {
                    let newest = try await db.events.latestEventID()
                    #expect(try await waitUntil { try await feedNewest(base) == newest })
                    let headers = [("Last-Event-ID", "\(cursor)")]
                    try await withEventStream(base, "/api/v2/events?path=logs/*/append", headers: headers) { stream in
                        let resync = try #require(try await stream.next())
                        #expect(resync.event == "resync" && resync.id == "\(newest)")
                        #expect(try JSONValue(json: resync.data)["reason"]?.string?.contains(reason) == true)
                        try await db.logs.appendLog(log, "oafter \(reason)\n")
                        let next = try #require(try await stream.next())
                        let written = try await db.events.events(after: newest, limit: 1000).last
                        #expect(next.event == "logs/\(log)/append" && next.id == written.map { String($0.id) })
                    }
                }
            }
        }
    }

    @Test("bad options are refused with 400 and a message")
    func badOptions() async throws {
        try await withTestDatabase(.sqlite) { db in
            try await withAPIServer(db) { base in
                let nineSegments = Array(repeating: "a", count: 9).joined(separator: "/")
                let seventeenPaths = Array(repeating: "path=builds/*/*", count: 17).joined(separator: "&")
                for query in [
                    "colour=red", "after=-1", "after=x", "path=", "path=builds//new", "path=/builds", "path=b*/new",
                    "path=\(nineSegments)", "path=" + String(repeating: "a", count: 201), seventeenPaths, "format=xml",
                ] {
                    let answer = try await httpGet(base, "/api/v2/events?\(query)")
                    #expect(answer.status == 400 && answer["error"]?.string?.isEmpty == false, "\(query)")
                }
                try await withEventStream(base, "/api/v2/events", headers: [("Last-Event-ID", "soon")]) { stream in
                    #expect(stream.status == 400)
                    let text = try await stream.text()
                    #expect(text.contains("Last-Event-ID"))
                }
            }
        }
    }
}

/// The id a stream opened now starts after: the newest event the server's feed has read.
private func feedNewest(_ base: URL) async throws -> Int? {
    try await withEventStream(base, "/api/v2/events") { stream in
        try await stream.opened()
        return Int(stream.lastEventID)
    }
}
