import GantryModel
import GantryStorage
import GantryTesting
import Testing

@testable import GantryAPI

@Suite("The event feed: read only while followed", .paced, .timeLimit(.minutes(1)))
struct EventFeedTests {
    @Test("a feed no one follows falls behind without reading; a subscriber gets every event after its cursor")
    func unfollowed() async throws {
        try await withTestDatabase(.sqlite) { db in
            let builder = try await db.builders.findBuilderId("b1")
            let feed = EventFeed(database: db, logger: silentLogger)
            let run = Task { try await feed.run() }
            let start = try await feed.newest()
            // Nobody waits: the notifications of these events, and the polls after them, read nothing.
            for _ in 0..<3 { _ = try await db.buildsets.addBuildset(reason: "r", builderids: [builder]) }
            #expect(await waitUntil { await feed.isBehind }, "the feed skipped its reads")
            let stored = try await db.events.events(after: start, limit: 100)
            #expect(stored.count == 6, "a buildset and a request, each time")

            guard case .events(let missed) = try await feed.next(after: start) else {
                Issue.record("the events after the cursor were not served")
                return
            }
            #expect(missed == stored, "read from the database, in order")
            #expect(await feed.isBehind == false)
            #expect(try await feed.newest() == stored.last?.id)

            // A subscriber waiting is followed: the next event reaches it.
            let waiting = Task { try await feed.next(after: stored.last?.id ?? 0) }
            _ = try await db.buildsets.addBuildset(reason: "r", builderids: [builder])
            guard case .events(let next) = try await waiting.value else {
                Issue.record("the new events were not served")
                return
            }
            #expect(next.first?.key.hasPrefix("buildsets/") == true)
            run.cancel()
            _ = try? await run.value
        }
    }
}
