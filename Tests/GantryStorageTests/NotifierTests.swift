import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("Notifier", .paced, .timeLimit(.minutes(3)))
struct NotifierTests {
    let clock = ManualClock()

    @Test("adding build requests wakes their consumers in this process", arguments: TestBackend.enabled)
    func localWakeup(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let builder = try await db.builders.findBuilderId("linux")
            var wakeups = db.notifier.wakeups(for: [.buildrequestsNew], poll: .seconds(3600), clock: clock)
                .makeAsyncIterator()
            _ = try await db.buildsets.addBuildset(reason: "test", builderids: [builder])
            #expect(await wakeups.next() != nil)
        }
    }

    @Test("a consumer also wakes on its slow poll, so a lost notification only delays")
    func poll() async throws {
        try await withTestDatabase(.sqlite) { db in
            var wakeups = db.notifier.wakeups(for: [.changesNew], poll: .seconds(30), clock: clock)
                .makeAsyncIterator()
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(30))
            #expect(await wakeups.next() != nil)
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(30))
            #expect(await wakeups.next() != nil)
        }
    }

    @Test("a consumer that stops consuming ends its poll")
    func cancellation() async throws {
        try await withTestDatabase(.sqlite) { db in
            let consumer = Task {
                for await _ in db.notifier.wakeups(for: [.changesNew], poll: .seconds(30), clock: clock) {}
            }
            await clock.waitForSleepers(1)
            consumer.cancel()
            await consumer.value
            #expect(await waitUntil { clock.sleeperCount == 0 })
        }
    }

    @Test(
        "on PostgreSQL a build request added by another master wakes this one",
        .enabled(if: TestBackend.postgresURL != nil)
    )
    func acrossMasters() async throws {
        try await withTestDatabase(.postgres) { here in
            try await Database.withDatabase(here.url, logger: silentLogger) { there in
                while !here.notifier.isListening { try await Task.sleep(for: .milliseconds(10)) }
                var wakeups = here.notifier.wakeups(for: [.buildrequestsNew], poll: .seconds(3600), clock: clock)
                    .makeAsyncIterator()
                let builder = try await there.builders.findBuilderId("linux")
                _ = try await there.buildsets.addBuildset(reason: "elsewhere", builderids: [builder])
                #expect(await wakeups.next() != nil)
            }
        }
    }
}
