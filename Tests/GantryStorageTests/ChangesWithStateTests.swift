import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("Changes stored with their change source's state", .paced)
struct ChangesWithStateTests {
    @Test("a poller's changes and state are written together or not at all", arguments: TestBackend.enabled)
    func together(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let a = try await db.masters.findMasterId("a")
            let b = try await db.masters.findMasterId("b")
            let source = try await db.changeSources.findChangeSourceId("poller")
            let old = try await db.changeSources.setChangeSourceMaster(source, masterid: a)
            let object = try await db.state.getObjectId("poller", className: "GitPoller")
            let heads = { (value: JSONValue, version: Int) in
                StateWrite(objectID: object, key: "lastRev", value: value, expectedVersion: version)
            }
            let first = NewChange(author: "Ada <ada@example.com>", revision: "abc", branch: "main", repository: "r")
            var second = first
            second.revision = "def"

            let ids = try await db.changes.addChanges([first], state: heads(["main": "abc"], 0), fence: old)
            #expect(ids.count == 1)
            #expect(try await db.changes.getChange(ids[0])?.revision == "abc")
            #expect(
                try await db.state.getVersionedState(object, "lastRev")
                    == StateConnector.Versioned(value: ["main": "abc"], version: 1))

            let conflict = await #expect(throws: GantryError.self) {
                try await db.changes.addChanges([second], state: heads(["main": "def"], 0), fence: old)
            }
            #expect(conflict?.code == .conflict)
            #expect(try await db.count("changes") == 1, "a version another writer replaced refuses the changes too")

            let before = try await db.events.latestEventID()
            let none = try await db.changes.addChanges([], state: heads([:], 1), fence: old)
            #expect(none.isEmpty)
            #expect(
                try await db.state.getVersionedState(object, "lastRev")
                    == StateConnector.Versioned(value: [:], version: 2), "a deleted branch changes the state alone")
            #expect(try await db.events.latestEventID() == before, "and records no event")

            try await db.masters.masterStopped(a)
            try await db.changeSources.setChangeSourceMaster(source, masterid: b)
            let fenced = await #expect(throws: GantryError.self) {
                try await db.changes.addChanges([second], state: heads(["main": "def"], 2), fence: old)
            }
            #expect(fenced?.code == .fenced)
            #expect(try await db.count("changes") == 1)
            #expect(try await db.state.getVersionedState(object, "lastRev")?.version == 2)
        }
    }
}
