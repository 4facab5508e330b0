import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension ProcessTests {
    /// Three real masters on PostgreSQL sharing six Periodic schedulers; one is SIGKILLed, another SIGSTOPped.
    @Suite("Cluster failover with real masters", .enabled(if: TestBackend.postgresURL != nil))
    struct FailoverProcessTests {
        static let schedulers = (1...6).map { "periodic-\($0)" }
        /// heartbeat 1 s, expireAfter 3 s, claimPoll 1 s: failover within 3 + 1 + 1 s, plus 2 s for observing it
        /// (the test's own polling) on two cores busy with six masters and the rest of the suite.
        static let failoverBound: TimeInterval = 7

        /// A cluster master's configuration with `schedulers`, each a YAML list item.
        private func config(_ name: String, url: DatabaseURL, schedulers: [String]) -> String {
            fastClusterConfig(name, url: url) + """
                builders: [{name: build}]
                schedulers:

                """ + schedulers.map { "  - \($0)\n" }.joined()
        }

        /// A master running the periodic schedulers of this suite.
        private func config(_ name: String, url: DatabaseURL) -> String {
            config(
                name, url: url,
                schedulers: Self.schedulers.map { "{name: \($0), type: periodic, builderNames: [build], interval: 2s}" }
            )
        }

        /// Which master (by name) holds each scheduler.
        private func owners(_ db: Database) async throws -> [String: String] {
            let masters = Dictionary(
                uniqueKeysWithValues: try await db.masters.getMasters().items.map { ($0.id, $0.name) })
            var owners: [String: String] = [:]
            for scheduler in try await db.schedulers.getSchedulers(active: true) {
                owners[scheduler.name] = scheduler.masterID.flatMap { masters[$0] }
            }
            return owners
        }

        @Test(
            "default timings: a SIGKILLed master's schedulers move long before expireAfter (its session ended); a paused one keeps its own until expireAfter"
        )
        func failoverOnDefaults() async throws {
            try await withCluster { url, directory in
                let schedulers = (1...4).map { "{name: nightly-\($0), type: nightly, builderNames: [build], hour: 3}" }
                let masters = try ["d1", "d2", "d3"].map { name in
                    try MasterProcess(
                        name: name,
                        config: """
                            name: \(name)
                            database: \(url.textWithPassword)
                            http: 127.0.0.1:0
                            builders: [{name: build}]
                            schedulers:

                            """ + schedulers.map { "  - \($0)\n" }.joined(),
                        directory: directory, environment: ["GANTRY_LOG_LEVEL": "debug"])
                }
                defer { for master in masters { master.send(SIGKILL) } }
                try await Database.withDatabase(url, logger: silentLogger) { db in
                    #expect(await waitUntil(limit: .seconds(60)) { (try? await self.owners(db).count) == 4 })
                    let owners = try await self.owners(db)
                    let counts = Dictionary(grouping: owners.values, by: { $0 }).mapValues(\.count)
                    let victimName = try #require(counts.max { $0.value < $1.value }?.key)
                    let victim = try #require(masters.first { $0.name == victimName })
                    let orphaned = Set(owners.filter { $0.value == victimName }.keys)

                    // Paused for longer than a heartbeat and a session check, far shorter than expireAfter (30 s):
                    // its session lives on, so it keeps what it holds. Killed, its session ends at once.
                    victim.send(SIGSTOP)
                    try await Task.sleep(for: .seconds(8))
                    let whilePaused = try await self.owners(db)
                    victim.send(SIGCONT)
                    #expect(
                        orphaned.allSatisfy { whilePaused[$0] == victimName }, "the paused master lost: \(whilePaused)")

                    victim.send(SIGKILL)
                    let moved = await waitUntil(limit: .seconds(25)) {
                        guard let now = try? await self.owners(db) else { return false }
                        return orphaned.allSatisfy { now[$0] != nil && now[$0] != victimName }
                    }
                    #expect(
                        moved,
                        "the killed master's schedulers did not move: \(masters.map { String($0.logText.suffix(2500)) })"
                    )
                }
            }
        }

        @Test(
            "SIGKILL: every scheduler of the dead master is active elsewhere in time; SIGSTOP: the paused one returns passive; no period built twice"
        )
        func failover() async throws {
            try await withCluster { url, directory in
                let masters = try ["m1", "m2", "m3"].map {
                    try MasterProcess(name: $0, config: config($0, url: url), directory: directory)
                }
                defer { for master in masters { master.send(SIGKILL) } }

                try await Database.withDatabase(url, logger: silentLogger) { db in
                    // All six schedulers claimed.
                    var owners: [String: String] = [:]
                    for _ in 0..<200 where owners.count < 6 {
                        try await Task.sleep(for: .milliseconds(50))
                        owners = try await self.owners(db)
                    }
                    #expect(owners.count == 6)

                    // SIGKILL the master holding the most schedulers.
                    let counts = Dictionary(grouping: owners.values, by: { $0 }).mapValues(\.count)
                    let victimName = try #require(counts.max { $0.value < $1.value }?.key)
                    let victim = try #require(masters.first { $0.name == victimName })
                    let orphaned = Set(owners.filter { $0.value == victimName }.keys)
                    victim.send(SIGKILL)
                    let killedAt = Date()
                    var movedAfter: TimeInterval?
                    while movedAfter == nil, Date().timeIntervalSince(killedAt) < 20 {
                        try await Task.sleep(for: .milliseconds(50))
                        let now = try await self.owners(db)
                        if orphaned.allSatisfy({ now[$0] != nil && now[$0] != victimName }) {
                            movedAfter = Date().timeIntervalSince(killedAt)
                        }
                    }
                    let failover = try #require(movedAfter)
                    #expect(failover <= Self.failoverBound, "failover took \(failover) s")

                    // Any survivor's API shows the cluster as it now is.
                    let witness = try #require(masters.first { $0.name != victimName })
                    let port = try #require(try await witness.httpPort())
                    let answer = try await httpGet(
                        try #require(URL(string: "http://127.0.0.1:\(port)")), "/api/v2/schedulers?field=master")
                    guard case .array(let items)? = answer["schedulers"] else {
                        Issue.record("no schedulers in \(answer.json)")
                        return
                    }
                    let runners = items.map { item -> JSONValue? in
                        guard case .object(let object) = item, case .object(let master)? = object["master"] else {
                            return nil
                        }
                        return master["name"]
                    }
                    #expect(runners.count == 6)
                    #expect(runners.allSatisfy { $0 != nil && $0 != .string(victimName) }, "\(runners)")

                    // Let every moved scheduler build once, so that no period below spans two failovers.
                    try await Task.sleep(for: .seconds(3))

                    // SIGSTOP a survivor for longer than expireAfter, then let it go on.
                    let survivors = masters.filter { $0.name != victimName }
                    let paused = survivors[0]
                    paused.send(SIGSTOP)
                    try await Task.sleep(for: .seconds(8))
                    let whilePaused = try await self.owners(db)
                    #expect(whilePaused.count == 6)
                    #expect(!whilePaused.values.contains(paused.name))
                    paused.send(SIGCONT)
                    // It sees it was expired, deactivates, and checks in again...
                    var checkedIn = false
                    for _ in 0..<200 where !checkedIn {
                        try await Task.sleep(for: .milliseconds(50))
                        checkedIn =
                            try await db.masters.getMasters().items.first { $0.name == paused.name }?.active == true
                    }
                    #expect(checkedIn, "the resumed master must check in again")
                    // ...and stays passive for what the others now own.
                    try await Task.sleep(for: .seconds(3))
                    let afterwards = try await self.owners(db)
                    #expect(afterwards == whilePaused, "the resumed master must stay passive")

                    for master in survivors { master.send(SIGTERM) }
                    for master in survivors { _ = await master.waitForExit() }

                    // Fencing: no scheduler built twice in one period; none skipped more than the failover time.
                    let buildsets = try await db.buildsets.getBuildsets()
                    let byScheduler = Dictionary(grouping: buildsets, by: { $0.schedulerID ?? -1 })
                    #expect(byScheduler.count == 6)
                    for (_, sets) in byScheduler {
                        let times = sets.map { Int($0.submittedAt.timeIntervalSince1970) }.sorted()
                        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
                        #expect(gaps.allSatisfy { $0 >= 2 }, "two buildsets in one period: \(times)")
                        #expect(gaps.allSatisfy { $0 <= 2 + Int(Self.failoverBound) + 1 }, "a period missed: \(times)")
                    }
                }
            }
        }

        @Test(
            "SingleBranch: a change classified on a master that is SIGKILLed, and one sent meanwhile, are built once by the survivor"
        )
        func singleBranchFailover() async throws {
            try await withCluster { url, directory in
                let masters = try ["s1", "s2"].map { name in
                    try MasterProcess(
                        name: name,
                        config: config(
                            name, url: url,
                            schedulers: [
                                "{name: main, type: singleBranch, branch: main, treeStableTimer: 3s, builderNames: [build]}"
                            ]),
                        directory: directory)
                }
                defer { for master in masters { master.send(SIGKILL) } }

                try await Database.withDatabase(url, logger: silentLogger) { db in
                    var holder: String?
                    for _ in 0..<200 where holder == nil {
                        try await Task.sleep(for: .milliseconds(50))
                        holder = try await owners(db)["main"]
                    }
                    let victim = try #require(masters.first { $0.name == holder })
                    let schedulerID = try await db.schedulers.findSchedulerId("main")
                    let objectID = try await db.state.getObjectId("main", className: "SingleBranchScheduler")
                    // The holder has started reading changes: it recorded its position.
                    #expect(
                        try await waitUntil {
                            try await db.state.getState(objectID, "last_changeid", default: nil) != .null
                        })
                    let first = try await db.changes.addChange(NewChange(author: "a", revision: "1", branch: "main"))
                    #expect(
                        try await waitUntil { try await !db.schedulers.getChangeClassifications(schedulerID).isEmpty })
                    victim.send(SIGKILL)
                    let second = try await db.changes.addChange(NewChange(author: "a", revision: "2", branch: "main"))
                    #expect(try await db.buildsets.getBuildsets().isEmpty, "the timer had not fired")

                    let built = try await waitUntil(limit: .seconds(30)) {
                        try await db.buildsets.getBuildsets().count == 1
                    }
                    #expect(built)
                    try await Task.sleep(for: .seconds(4))  // a second timer, if any, would fire by now
                    let buildsets = try await db.buildsets.getBuildsets()
                    #expect(buildsets.count == 1)
                    let changes = try await db.changes.getChanges(ids: [first, second])
                    #expect(buildsets.first?.sourceStampIDs == [try #require(changes.last).sourceStampID])
                    #expect(try await db.schedulers.getChangeClassifications(schedulerID).isEmpty)
                    #expect(try await owners(db)["main"] == masters.first { $0.name != holder }?.name)
                }
            }
        }

        @Test(
            "a master killed while its build's end waits on a row lock: the request is built again, and only one build is SUCCESS"
        )
        func endWaitingOnALock() async throws {
            try await withCluster { url, directory in
                let config = """
                    name: locked
                    database: \(url.textWithPassword)
                    http: 127.0.0.1:0
                    workerPort: {address: "127.0.0.1:0"}
                    builders: [{name: b, steps: [{name: s, shell: "sleep 1"}]}]
                    pools: [{name: p, builders: [b], maxWorkers: 1}]
                    schedulers: [{name: force, type: force, builderNames: [b]}]
                    """
                var master = try MasterProcess(name: "locked", config: config, directory: directory)
                defer { master.send(SIGKILL) }
                var port = try #require(try await master.httpPort(), "\(master.logText)")
                var base = try #require(URL(string: "http://127.0.0.1:\(port)"))
                try await Database.withDatabase(url, logger: silentLogger) { db in
                    try await force(base)
                    #expect(try await waitUntil(limit: .seconds(60)) { try await db.builds.getBuilds().count == 1 })
                    // Another session holds the request's row while the build's `sleep 1` ends: the build's end
                    // waits for it, and the master dies waiting.
                    let waiting = try await db.withTransaction { sql in
                        try await sql.raw("SELECT id FROM buildrequests FOR UPDATE").run()
                        try await Task.sleep(for: .seconds(2.5))
                        let waiting = try await sql.raw("SELECT COUNT(*) AS n FROM pg_locks WHERE NOT granted").first()
                        master.send(SIGKILL)
                        return try waiting?.decode(column: "n", as: Int.self) ?? 0
                    }
                    #expect(waiting > 0, "the build's end was not waiting on the row when the master died")
                    _ = await master.waitForExit()
                    master = try MasterProcess(name: "locked", config: config, directory: directory)
                    port = try #require(try await master.httpPort(), "\(master.logText)")
                    base = try #require(URL(string: "http://127.0.0.1:\(port)"))
                    #expect(
                        try await waitUntil(limit: .seconds(60)) {
                            try await db.buildRequests.getBuildRequests(complete: true).count == 1
                        }, "\(master.logText.suffix(2000))")
                    let builds = try await db.builds.getBuilds()
                    #expect(builds.filter { $0.results == .success }.count == 1, "\(builds.map(\.results))")
                    #expect(builds.first?.results == .retry, "the build whose end never committed ended RETRY")
                }
            }
        }

        @Test(
            "2 masters, 4 real workers, 200 forced builds, one master SIGKILLed mid-way: every request completes exactly once",
            .enabled(if: BuildbotWorkerProcess.executable != nil, "GANTRY_TEST_BUILDBOT_WORKER is not set"),
            .timeLimit(.minutes(2))
        )
        func buildsSurviveMasterLoss() async throws {
            let config = { (name: String, url: DatabaseURL, _: URL) in
                fastClusterConfig(name, url: url) + """
                    workerPort: {address: "127.0.0.1:0"}
                    \(twoMasterWorkersConfig)
                    builders:
                      - name: build
                        workers: [\(twoMasterWorkers.joined(separator: ", "))]
                        steps: [{name: work, shell: "sleep 0.1"}]
                        collapseRequests: false
                    schedulers:
                      - {name: force, type: force, builderNames: [build]}
                    """
            }
            try await withTwoMasterCluster(config: config) { masters, bases, db, _ in
                for index in 0..<200 {
                    let forced = try await httpPost(
                        bases[index % 2], "/api/v2/forceschedulers/force",
                        body: #"{"jsonrpc": "2.0", "method": "force", "id": 1}"#)
                    #expect(forced.status == 200)
                }
                let m1 = try await db.masters.findMasterId("m1")
                #expect(
                    try await waitUntil { try await db.builds.getBuilds(masterid: m1, complete: true).count >= 30 })
                masters[0].send(SIGKILL)

                let done = try await waitUntil(limit: .seconds(90)) {
                    try await db.buildRequests.getBuildRequests(complete: true).count == 200
                }
                #expect(done, "\(masters[1].logText.suffix(3000))")
                let requests = try await db.buildRequests.getBuildRequests()
                #expect(requests.count == 200 && requests.allSatisfy { $0.results == .success })
                let builds = try await db.builds.getBuilds()
                let successes = Dictionary(grouping: builds.filter { $0.results == .success }, by: \.buildRequestID)
                #expect(successes.count == 200 && successes.values.allSatisfy { $0.count == 1 }, "each built once")
                // m1's builds in flight when it died (usually two) ended RETRY; none is left unfinished.
                let lost = builds.filter { $0.masterID == m1 && $0.results == .retry }
                #expect(builds.allSatisfy { $0.completeAt != nil })
                #expect(builds.count == 200 + lost.count, "only the lost builds ran again")
            }
        }
    }
}
