import Foundation
import GantryModel
import GantryTesting
import Synchronization
import Testing

@testable import GantryStorage

@Suite("EventsConnector", .paced, .timeLimit(.minutes(3)))
struct EventsConnectorTests {
    let time = ManualWallClock()

    private struct Refused: Error {}

    /// Set once the writers of a test are done.
    private final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        var isSet: Bool { value.load(ordering: .acquiring) }
        func set() { value.store(true, ordering: .releasing) }
    }

    /// Records `count` events with the keys `test/<n>/new` in one transaction, as a connector would.
    private func record(_ count: Int, in db: Database) async throws {
        var changes = FeedChanges()
        for index in 0..<count { changes.add(key: "test/\(index)/new", payload: ["n": .number(Double(index))]) }
        try await db.withTransaction { sql in try await EventsConnector.record(changes, in: sql, database: db) }
    }

    @Test(
        "a buildset's way from claim to finish is in the feed in order, each event with its resource",
        arguments: TestBackend.enabled)
    func flow(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let master = try await db.masters.findMasterId("m1")
            _ = try await db.masters.masterActive(master)
            let builder = try await db.builders.findBuilderId("linux")
            let start = try await db.events.latestEventID()
            #expect(start > 0, "the master's start is an event")

            let (buildset, requests) = try await db.buildsets.addBuildset(reason: "push", builderids: [builder])
            let request = try #require(requests[builder])
            try await db.buildRequests.claimBuildRequests([request], masterid: master)
            let build = try await db.builds.addBuild(
                builderid: builder, buildrequestid: request, workerid: nil, masterid: master)
            let step = try await db.steps.addStep(buildid: build.id, name: "compile")
            try await db.steps.startStep(step.id)
            let log = try await db.logs.addLog(stepid: step.id, name: "stdio", kind: .stdio)
            try await db.logs.appendLog(log, "ocompiling\noready\n")
            try await db.logs.finishLog(log)
            try await db.steps.finishStep(step.id, results: .success)
            _ = try await db.builds.endBuild(build.id, results: .success, buildrequestid: request, masterid: master)

            let events = try await db.events.events(after: start, limit: 100)
            #expect(
                events.map(\.key) == [
                    "buildsets/\(buildset)/new", "buildrequests/\(request)/new", "buildrequests/\(request)/claimed",
                    "builds/\(build.id)/new", "steps/\(step.id)/new", "steps/\(step.id)/started",
                    "logs/\(log)/new", "logs/\(log)/append", "logs/\(log)/finished", "steps/\(step.id)/finished",
                    "builds/\(build.id)/finished", "buildrequests/\(request)/complete",
                    "buildsets/\(buildset)/complete",
                ])
            #expect(zip(events, events.dropFirst()).allSatisfy { $0.id < $1.id }, "ascending ids")
            #expect(events.allSatisfy { $0.at == time.now })

            let payload = { (key: String) in events.first { $0.key == key }?.payload }
            #expect(payload("buildrequests/\(request)/claimed")?["claimed_by_masterid"] == .number(Double(master)))
            #expect(payload("builds/\(build.id)/new")?["complete"] == false)
            let appended = try #require(payload("logs/\(log)/append"))
            #expect(appended["num_lines"] == 2 && appended["complete"] == false)
            #expect(appended["content"] == nil, "never the lines")
            #expect(payload("logs/\(log)/finished")?["complete"] == true)
            // The last events carry what the REST API shows now.
            let finishedBuild = try #require(try await db.builds.getBuild(build.id))
            #expect(payload("builds/\(build.id)/finished") == finishedBuild.resource)
            let completeRequest = try #require(try await db.buildRequests.getBuildRequest(request))
            #expect(payload("buildrequests/\(request)/complete") == completeRequest.resource)
            let completeBuildset = try #require(try await db.buildsets.getBuildset(buildset))
            #expect(
                payload("buildsets/\(buildset)/complete")
                    == completeBuildset.resource(sourceStamps: [:], schedulerNames: [:]))
            let finishedStep = try #require(try await db.steps.getStep(step.id))
            #expect(payload("steps/\(step.id)/finished") == finishedStep.resource)
        }
    }

    @Test("a master's stop announces it and what it released, one event per resource", arguments: TestBackend.enabled)
    func masterStopped(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let master = try await db.masters.findMasterId("m1")
            _ = try await db.masters.masterActive(master)
            let builder = try await db.builders.findBuilderId("linux")
            let (_, requests) = try await db.buildsets.addBuildset(reason: "push", builderids: [builder])
            let request = try #require(requests[builder])
            try await db.buildRequests.claimBuildRequests([request], masterid: master)
            let build = try await db.builds.addBuild(
                builderid: builder, buildrequestid: request, workerid: nil, masterid: master)
            let start = try await db.events.latestEventID()

            #expect(try await db.masters.masterStopped(master))

            let events = try await db.events.events(after: start, limit: 100)
            #expect(
                events.map(\.key) == [
                    "masters/\(master)/stopped", "builds/\(build.id)/finished", "buildrequests/\(request)/unclaimed",
                ])
            #expect(events.first?.payload["active"] == false)
            #expect(events.dropFirst().first?.payload["results"] == .number(Double(BuildResult.retry.rawValue)))
            #expect(events.last?.payload["claimed"] == false)
        }
    }

    @Test("a transaction rolled back leaves no event behind", arguments: TestBackend.enabled)
    func rollback(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            await #expect(throws: Refused.self) {
                try await db.withTransaction { sql in
                    var changes = FeedChanges()
                    changes.add(key: "test/1/new", payload: nil)
                    try await EventsConnector.record(changes, in: sql, database: db)
                    throw Refused()
                }
            }
            #expect(try await db.events.events(after: 0, limit: 10).isEmpty)
            let refused = await #expect(throws: GantryError.self) {
                try await db.buildRequests.claimBuildRequests([404], masterid: 1)
            }
            #expect(refused?.code == .alreadyClaimed)
            #expect(try await db.events.events(after: 0, limit: 10).isEmpty, "a refused change announces nothing")
            try await record(1, in: db)
            #expect(try await db.events.events(after: 0, limit: 10).map(\.key) == ["test/0/new"])
        }
    }

    @Test("events are read in pages after a cursor", arguments: TestBackend.enabled)
    func paging(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            try await record(5, in: db)
            let all = try await db.events.events(after: 0, limit: 100)
            #expect(all.map(\.payload) == (0..<5).map { ["n": .number(Double($0))] })
            var pages: [[Int]] = []
            var cursor = 0
            while true {
                let page = try await db.events.events(after: cursor, limit: 2)
                guard let last = page.last else { break }
                pages.append(page.map(\.id))
                cursor = last.id
            }
            let ids = all.map(\.id)
            #expect(pages == [Array(ids[0..<2]), Array(ids[2..<4]), [ids[4]]])
            #expect(try await db.events.events(after: ids[1], limit: 0).isEmpty)
            #expect(try await db.events.latestEventID() == ids[4])
        }
    }

    @Test("trimming keeps the newest events and records how far it went", arguments: TestBackend.enabled)
    func trimByCount(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            #expect(try await db.events.trimmedThrough() == 0)
            #expect(try await db.events.latestEventID() == 0)
            try await record(2_500, in: db)
            let ids = try await db.events.events(after: 0, limit: 3_000).map(\.id)
            #expect(ids.count == 2_500)

            #expect(try await db.events.trim(olderThan: .distantPast, keepingAtMost: 4) == 2_496, "in batches")
            #expect(try await db.events.trimmedThrough() == ids[2_495])
            #expect(try await db.events.events(after: 0, limit: 10).map(\.id) == Array(ids.suffix(4)))

            #expect(try await db.events.trim(olderThan: .distantPast, keepingAtMost: 4) == 0)
            #expect(try await db.events.trim(olderThan: .distantPast, keepingAtMost: 0) == 4)
            #expect(try await db.events.trimmedThrough() == ids.last)
            #expect(try await db.events.latestEventID() == ids.last, "ids are never reused")
        }
    }

    @Test("trimming deletes the events older than a time", arguments: TestBackend.enabled)
    func trimByAge(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            try await record(3, in: db)
            let cutoff = time.now.addingTimeInterval(50)
            time.advance(by: 100)
            try await record(2, in: db)
            let ids = try await db.events.events(after: 0, limit: 10).map(\.id)

            #expect(try await db.events.trim(olderThan: cutoff, keepingAtMost: 1_000) == 3)
            #expect(try await db.events.trimmedThrough() == ids[2])
            #expect(try await db.events.events(after: 0, limit: 10).map(\.id) == Array(ids.suffix(2)))
            #expect(try await db.events.trim(olderThan: cutoff, keepingAtMost: 1_000) == 0)
            #expect(try await db.events.trimmedThrough() == ids[2])
        }
    }

    @Test("a committed event wakes the readers of its own process", arguments: TestBackend.enabled)
    func wakeup(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            var wakeups = db.notifier.wakeups(for: [.events], poll: .seconds(3600), clock: ManualClock())
                .makeAsyncIterator()
            try await db.poolEvents.addPoolEvent(
                PoolEvent(time: Date(), pool: "linux", worker: "linux-1", kind: .startRequested))
            #expect(await wakeups.next() != nil)
            let event = try #require(try await db.events.events(after: 0, limit: 10).first)
            #expect(event.key == "pools/linux/start_requested" && event.payload["worker"] == "linux-1")
        }
    }

    /// On PostgreSQL only: SQLite runs one transaction at a time, so its writers cannot commit out of order.
    @Test(
        "a reader paging by cursor while two masters write misses no event",
        .enabled(if: TestBackend.postgresURL != nil))
    func concurrentWriters() async throws {
        try await withTestDatabase(.postgres) { db in
            let builder = try await db.builders.findBuilderId("linux")
            let start = try await db.events.latestEventID()
            let done = Flag()
            async let writing: Void = withThrowingTaskGroup(of: Void.self) { writers in
                for writer in 0..<2 {
                    writers.addTask {
                        for index in 0..<100 {
                            _ = try await db.buildsets.addBuildset(reason: "\(writer)-\(index)", builderids: [builder])
                        }
                    }
                }
                try await writers.waitForAll()
                done.set()
            }
            var seen: [Int] = []
            var cursor = start
            while true {
                // Read before the page: once the writers are done, that page reaches the end.
                let finished = done.isSet
                let page = try await db.events.events(after: cursor, limit: 50)
                seen += page.map(\.id)
                cursor = page.last?.id ?? cursor
                if page.isEmpty {
                    if finished { break }
                    try await Task.sleep(for: .milliseconds(5))
                }
            }
            try await writing
            let all = try await db.events.events(after: start, limit: 10_000).map(\.id)
            #expect(all.count == 400, "a buildset and its request each")
            #expect(seen == all)
        }
    }
}
