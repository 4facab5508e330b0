import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("HTTP API: masters, query options and errors", .paced, .timeLimit(.minutes(3)))
struct MastersAPITests {
    let time = ManualWallClock()

    /// alpha (active), beta (inactive), gamma (active), checked in at 100, 200 and 300.
    private func fixture(_ db: Database) async throws {
        for (offset, name) in ["alpha", "beta", "gamma"].enumerated() {
            let id = try await db.masters.findMasterId(name)
            time.set(Date(timeIntervalSince1970: TimeInterval(100 * (offset + 1))))
            try await db.masters.masterActive(id)
        }
        try await db.masters.masterStopped(try await db.masters.findMasterId("beta"))
    }

    private func names(_ answer: HTTPAnswer) -> [String] {
        guard case .array(let items)? = answer["masters"] else { return [] }
        return items.compactMap { item in
            if case .object(let object) = item, case .string(let name)? = object["name"] { name } else { nil }
        }
    }

    @Test(
        "the collection in Buildbot's envelope, with filters, order, paging and fields", arguments: TestBackend.enabled)
    func collection(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            try await fixture(db)
            try await withAPIServer(db) { base in
                let all = try await httpGet(base, "/api/v2/masters")
                #expect(all.status == 200)
                #expect(names(all) == ["alpha", "beta", "gamma"])
                #expect(all["meta", "total"] == .number(3))
                #expect(
                    all["masters", 0]
                        == .object([
                            "masterid": .number(1), "name": .string("alpha"), "active": .bool(true),
                            "last_active": .number(100),
                        ]))

                #expect(names(try await httpGet(base, "/api/v2/masters?active=true")) == ["alpha", "gamma"])
                #expect(
                    names(try await httpGet(base, "/api/v2/masters?name__ne=beta&order=-name")) == ["gamma", "alpha"])
                #expect(names(try await httpGet(base, "/api/v2/masters?name=alpha&name=gamma")) == ["alpha", "gamma"])
                #expect(names(try await httpGet(base, "/api/v2/masters?last_active__ge=200")) == ["beta", "gamma"])
                #expect(names(try await httpGet(base, "/api/v2/masters?name__contains=mm")) == ["gamma"])

                let page = try await httpGet(base, "/api/v2/masters?order=-masterid&limit=1&offset=1")
                #expect(names(page) == ["beta"])
                #expect(page["meta", "total"] == .number(3), "total counts the matches before paging")

                let slim = try await httpGet(base, "/api/v2/masters?field=name&field=active&limit=1")
                #expect(slim["masters", 0] == .object(["name": .string("alpha"), "active": .bool(true)]))
            }
        }
    }

    @Test("one master by id; an unknown or non-numeric id is 404", arguments: TestBackend.enabled)
    func single(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            try await fixture(db)
            try await withAPIServer(db) { base in
                let beta = try await httpGet(base, "/api/v2/masters/2")
                #expect(beta.status == 200)
                #expect(names(beta) == ["beta"])
                #expect(beta["masters", 0, "active"] == .bool(false))
                #expect(beta["meta", "total"] == .number(1))

                let missing = try await httpGet(base, "/api/v2/masters/99")
                #expect(missing.status == 404)
                #expect(missing["error"] == .string("no master '99'"))
                #expect(try await httpGet(base, "/api/v2/masters/beta").status == 404)
            }
        }
    }

    @Test(
        "bad query options are 400 with a message",
        arguments: [
            ("/api/v2/masters?colour=red", "unknown query option 'colour'"),
            ("/api/v2/masters?name__like=a", "unknown filter operator in 'name__like'"),
            ("/api/v2/masters?masterid=one", "'masterid' needs int values, not 'one'"),
            ("/api/v2/masters?active=maybe", "'active' needs bool values, not 'maybe'"),
            ("/api/v2/masters?limit=-1", "'limit' must be a whole number of at least 0, not '-1'"),
            ("/api/v2/masters?offset=x", "'offset' must be a whole number of at least 0, not 'x'"),
            ("/api/v2/masters?order=colour", "unknown query option 'colour'"),
            ("/api/v2/masters?field=colour", "unknown field 'colour'"),
            ("/api/v2/masters?active__contains=t", "filter 'contains' needs a string field, not 'active'"),
            ("/api/v2/masters?masterid__lt=1&masterid__lt=2", "filter 'masterid__lt' takes one value"),
            ("/api/v2/masters/1?colour=red", "unknown query option 'colour'"),
        ]
    )
    func badOptions(_ path: String, _ message: String) async throws {
        try await withTestDatabase(.sqlite, clock: time.clock) { db in
            try await fixture(db)
            try await withAPIServer(db) { base in
                let answer = try await httpGet(base, path)
                #expect(answer.status == 400)
                guard case .string(let error)? = answer["error"] else {
                    Issue.record("no error message: \(answer.json)")
                    return
                }
                #expect(error.hasPrefix(message), "\(error)")
            }
        }
    }

    @Test("healthz is 200 while the database answers and 503 with the reason when it does not")
    func health() async throws {
        try await withTestDatabase(.sqlite) { db in
            try await withAPIServer(db) { base in
                let healthy = try await httpGet(base, "/healthz")
                #expect(healthy.status == 200)
                #expect(healthy["status"] == .string("ok"))
                try await db.closeSQLite()
                let sick = try await httpGet(base, "/healthz")
                #expect(sick.status == 503)
                #expect(sick["status"] == .string("unavailable"))
            }
        }
    }
}
