import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

/// The farm pages of the web UI: workers, pools, build requests, changes, schedulers and masters, each rendered
/// from a small cluster, and the forms that control workers and schedulers.
@Suite("Web UI: farm pages", .paced, .timeLimit(.minutes(3)))
struct FarmPagesTests {
    /// The ids of ``seed(_:)``'s cluster.
    struct Farm {
        var master: Int
        var scheduler: Int
        var waiting: Int
        var building: Int
        var finished: Int
    }

    /// Masters m1 (active, this one) and m2; builder linux on m1; worker alpha connected to m1 and configured on
    /// linux, building its request; worker beta disconnected; scheduler nightly, a change source and a pool held by
    /// m1; a change; one request waiting, one building and one finished.
    static func seed(_ db: Database) async throws -> Farm {
        let master = try await db.masters.findMasterId("m1")
        try await db.masters.masterActive(master)
        _ = try await db.masters.findMasterId("m2")
        let builder = try await db.builders.findBuilderId("linux")
        try await db.builders.updateBuilderList(master, builderids: [builder])
        let alpha = try await db.workers.findWorkerId("alpha")
        _ = try await db.workers.findWorkerId("beta")
        try await db.workers.workerConnected(alpha, masterid: master, workerInfo: [:])
        try await db.workers.workerConfigured(alpha, masterid: master, builderids: [builder])
        let scheduler = try await db.schedulers.findSchedulerId("nightly")
        try await db.schedulers.setSchedulerMaster(scheduler, masterid: master)
        try await db.changeSources.setChangeSourceMaster(
            try await db.changeSources.findChangeSourceId("poller"), masterid: master)
        try await db.claims(.pool).claim(try await db.claims(.pool).findServiceId("vms"), masterid: master)
        try await db.changes.addChange(
            NewChange(
                author: "ada", comments: "Fix the <build>\nand explain why", files: ["a.c", "b.c"],
                revision: "0123456789abcdef0123", branch: "main", repository: "https://example.org/repo.git",
                project: "gantry"))
        func request(_ reason: String) async throws -> Int {
            try #require(try await db.buildsets.addBuildset(reason: reason, builderids: [builder]).requestIDs[builder])
        }
        let waiting = try await request("waiting for a worker")
        let building = try await request("being built")
        try await db.buildRequests.claimBuildRequests([building], masterid: master)
        _ = try await db.builds.addBuild(
            builderid: builder, buildrequestid: building, workerid: alpha, masterid: master)
        let finished = try await request("built already")
        try await db.buildRequests.claimBuildRequests([finished], masterid: master)
        try await db.buildRequests.completeBuildRequests([finished], results: .success, masterid: master)
        return Farm(master: master, scheduler: scheduler, waiting: waiting, building: building, finished: finished)
    }

    @Test("every page lists its part of the cluster", arguments: TestBackend.enabled)
    func pages(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let farm = try await Self.seed(db)
            try await withAPIServer(db, masterID: farm.master) { base in
                let workers = try await page(base, "/workers")
                #expect(workers.contains(#"value="alpha""#) && workers.contains(#"value="beta""#))
                #expect(workers.contains("linux #1") && workers.contains("m1"))
                #expect(workers.contains("/ui/workers/alpha/kill") && !workers.contains("/ui/workers/beta/kill"))
                let connected = try await page(base, "/workers?state=connected")
                #expect(connected.contains(#"value="alpha""#) && !connected.contains(#"value="beta""#))
                let disconnected = try await page(base, "/workers?state=disconnected")
                #expect(!disconnected.contains(#"value="alpha""#) && disconnected.contains(#"value="beta""#))
                #expect(try await httpGetText(base, "/workers?state=asleep").status == 400)

                #expect(try await page(base, "/pools").contains("no pools"))

                let waiting = try await page(base, "/buildrequests")
                #expect(waiting.contains("waiting for a worker") && waiting.contains("being built"))
                #expect(waiting.contains("/ui/buildrequests/\(farm.waiting)/cancel"))
                #expect(!waiting.contains("buildrequest-\(farm.finished)\""))
                let finished = try await page(base, "/buildrequests?complete=true")
                #expect(finished.contains("buildrequest-\(farm.finished)\"") && finished.contains("built already"))
                #expect(!finished.contains("/cancel"))
                #expect(try await httpGetText(base, "/buildrequests?complete=maybe").status == 400)

                let changes = try await page(base, "/changes")
                #expect(changes.contains("0123456789ab") && changes.contains("Fix the &lt;build&gt;"))
                #expect(!changes.contains("explain why") && !changes.contains("<build>"))

                let schedulers = try await page(base, "/schedulers")
                #expect(schedulers.contains("nightly") && schedulers.contains("m1"))
                #expect(schedulers.contains("/ui/schedulers/\(farm.scheduler)/disable"))

                let masters = try await page(base, "/masters")
                #expect(masters.contains("m1") && masters.contains("m2") && masters.contains("(this master)"))
            }
            let held = try #require(try await db.masters.getHoldings(of: [farm.master])[farm.master])
            #expect(
                held.schedulers == 1 && held.changeSources == 1 && held.pools == 1 && held.connectedWorkers == 1
                    && held.runningBuilds == 1)
            let listed = try await db.workers.getWorkerPage(offset: 0, limit: 10)
            #expect(listed.total == 2 && listed.items.map(\.name) == ["alpha", "beta"])
            #expect(listed.items[0].builderCount == 1 && listed.items[0].runningBuilds.map(\.builderName) == ["linux"])
        }
    }

    @Test("a worker paused through its form has the reason, and the page shows it", arguments: TestBackend.enabled)
    func pause(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let farm = try await Self.seed(db)
            try await withAPIServer(db, masterID: farm.master) { base in
                let paused = try await postForm(
                    base, "/ui/workers/beta/pause", "reason=disk+%3Cfull%3E&next=%2Fworkers%3Fstate%3Dpaused")
                #expect(paused.status == 303 && paused.headers["location"] == "/workers?state=paused")
                let beta = try await db.workers.getWorker(named: "beta")
                #expect(beta?.paused == true && beta?.pauseReason == "disk <full>")
                let listed = try await page(base, "/workers?state=paused")
                #expect(listed.contains(#"value="beta""#) && listed.contains("disk &lt;full&gt;"))
                #expect(!listed.contains(#"value="alpha""#))

                // A form is only ever sent back to a page of this server.
                let unpaused = try await postForm(
                    base, "/ui/workers/beta/unpause", "next=https%3A%2F%2Fevil.example")
                #expect(unpaused.status == 303 && unpaused.headers["location"] == "/workers")
                #expect(try await db.workers.getWorker(named: "beta")?.paused == false)

                let ghost = try await postForm(base, "/ui/workers/ghost/pause", "reason=x")
                #expect(ghost.status == 404 && ghost.headers["content-type"]?.hasPrefix("text/html") == true)
                #expect(ghost.text.contains("ghost"))

                // beta is not connected: there is nothing to kill, and the page says so.
                let kill = try await postForm(base, "/ui/workers/beta/kill", "reason=stuck")
                #expect(kill.status == 409 && kill.text.contains("<main"))
            }
        }
    }

    @Test("a bulk action does the same to every ticked worker, or nothing", arguments: TestBackend.enabled)
    func bulk(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let farm = try await Self.seed(db)
            try await withAPIServer(db, masterID: farm.master) { base in
                func pausedReasons() async throws -> [String?] {
                    try await db.workers.getWorkers().map { $0.paused ? $0.pauseReason : nil }
                }
                let none = try await postForm(base, "/ui/workers/bulk", "action=pause&reason=maintenance")
                #expect(none.status == 400 && none.text.contains("Select at least one worker"))
                let unknownAction = try await postForm(base, "/ui/workers/bulk", "worker=alpha&action=explode")
                #expect(unknownAction.status == 400)
                let ghost = try await postForm(base, "/ui/workers/bulk", "worker=alpha&worker=ghost&action=pause")
                #expect(ghost.status == 404)
                #expect(try await pausedReasons() == [nil, nil])

                let both = try await postForm(
                    base, "/ui/workers/bulk",
                    "worker=alpha&worker=beta&worker=alpha&action=pause&reason=maintenance+day")
                #expect(both.status == 303 && both.headers["location"] == "/workers")
                #expect(try await pausedReasons() == ["maintenance day", "maintenance day"])

                let unpause = try await postForm(base, "/ui/workers/bulk", "worker=beta&action=unpause")
                #expect(unpause.status == 303)
                #expect(try await pausedReasons() == ["maintenance day", nil])

                // A name that is not valid percent-encoding is taken as sent, and is no worker's.
                let malformed = try await postForm(base, "/ui/workers/bulk", "worker=%ZZ&action=pause")
                #expect(malformed.status == 404)
            }
        }
    }

    @Test("a scheduler is disabled and enabled through its forms", arguments: TestBackend.enabled)
    func schedulers(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let farm = try await Self.seed(db)
            try await withAPIServer(db, masterID: farm.master) { base in
                let disable = try await postForm(
                    base, "/ui/schedulers/\(farm.scheduler)/disable", "next=%2Fschedulers%3Fpage%3D1")
                #expect(disable.status == 303 && disable.headers["location"] == "/schedulers?page=1")
                #expect(try await db.schedulers.getScheduler(farm.scheduler)?.enabled == false)
                #expect(try await page(base, "/schedulers").contains("/ui/schedulers/\(farm.scheduler)/enable"))

                #expect(try await postForm(base, "/ui/schedulers/\(farm.scheduler)/enable", "").status == 303)
                #expect(try await db.schedulers.getScheduler(farm.scheduler)?.enabled == true)

                #expect(try await postForm(base, "/ui/schedulers/999999/disable", "").status == 404)
                #expect(try await postForm(base, "/ui/schedulers/nightly/disable", "").status == 404)
                #expect(try await db.schedulers.getScheduler(farm.scheduler)?.enabled == true)
            }
        }
    }

    @Test("lists are paged by the server; no page number or limit stops a page", arguments: TestBackend.enabled)
    func paging(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let farm = try await Self.seed(db)
            // Numbered from 1000, so their names sort as their numbers.
            for index in 0..<120 { _ = try await db.workers.findWorkerId("worker-\(1000 + index)") }
            try await withAPIServer(db, masterID: farm.master) { base in
                func shown(_ path: String) async throws -> [Int] {
                    let text = try await page(base, path)
                    return (0..<120).filter { text.contains(#"value="worker-\#(1000 + $0)""#) }
                }
                #expect(try await shown("/workers") == Array(0..<48))  // alpha and beta come first
                #expect(try await shown("/workers?page=2") == Array(48..<98))
                #expect(try await shown("/workers?page=3") == Array(98..<120))

                // The edges of the sampled numbers the API's paging is tested with: pages parse them the same way.
                let numbers = ["-1", "0", "1", "2", "9223372036854775807", "9223372036854775808", "1e3", ""]
                let paths = [
                    "/workers", "/buildrequests", "/buildrequests?complete=true", "/changes", "/schedulers", "/masters",
                ]
                for path in paths {
                    let separator = path.contains("?") ? "&" : "?"
                    for number in numbers {
                        for query in ["page=\(number)", "limit=\(number)", "page=\(number)&limit=\(number)"] {
                            let status = try await httpGetText(base, path + separator + query).status
                            #expect([200, 400].contains(status), "\(path)\(separator)\(query): \(status)")
                        }
                    }
                }
            }
            let beyond = try await db.workers.getWorkerPage(.disconnected, offset: .max, limit: .max)
            #expect(beyond.items.isEmpty && beyond.total == 121)
            let schedulers = try await db.schedulers.getSchedulerPage(offset: 0, limit: .max)
            #expect(schedulers.items.map(\.name) == ["nightly"] && schedulers.items[0].masterID == farm.master)
        }
    }
}

/// The page at `path`, which must be answered 200.
private func page(_ base: URL, _ path: String) async throws -> String {
    let (status, text) = try await httpGetText(base, path)
    #expect(status == 200, "GET \(path): \(status)")
    return text
}

/// POSTs `body` as a form to `path` and returns the answer without following a redirect.
private func postForm(_ base: URL, _ path: String, _ body: String) async throws -> RawAnswer {
    try await rawExchange(
        base,
        head: rawHead(
            path, ["Content-Type: application/x-www-form-urlencoded", "Content-Length: \(body.utf8.count)"]),
        parts: [Array(body.utf8)])
}

extension RawAnswer {
    /// The body as text.
    fileprivate var text: String { String(decoding: body, as: UTF8.self) }
}
