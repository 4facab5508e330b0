import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

extension ProcessTests {
    /// A master lock and collapsing, with two real masters competing for one queue on PostgreSQL.
    @Suite(
        "Locks and collapsing across real masters",
        .enabled(if: TestBackend.postgresURL != nil),
        .enabled(if: BuildbotWorkerProcess.executable != nil, "GANTRY_TEST_BUILDBOT_WORKER is not set"),
        .timeLimit(.minutes(3))
    )
    struct LocksAndCollapsingProcessTests {
        @Test(
            "a master lock of count 2 holds across both masters; collapsed requests each end once, built or merged into a build"
        )
        func competingMasters() async throws {
            let config = { (name: String, url: DatabaseURL, directory: URL) in
                let trace = directory.appendingPathComponent("locked.trace").path
                return fastClusterConfig(name, url: url) + """
                    workerPort: {address: "127.0.0.1:0"}
                    \(twoMasterWorkersConfig)
                    locks: [{name: db, type: master, maxCount: 2}]
                    builders:
                      - name: locked
                        workers: [\(twoMasterWorkers.joined(separator: ", "))]
                        locks: [{name: db}]
                        collapseRequests: false
                        steps: [{name: work, shell: "echo start >> \(trace); sleep 0.3; echo end >> \(trace)"}]
                      - name: merged
                        workers: [\(twoMasterWorkers.joined(separator: ", "))]
                        steps: [{name: work, shell: "sleep 0.1"}]
                    schedulers:
                      - {name: force-locked, type: force, builderNames: [locked]}
                      - {name: force-merged, type: force, builderNames: [merged]}
                    """
            }
            try await withTwoMasterCluster(config: config) { masters, bases, db, directory in
                for (scheduler, count) in [("force-locked", 12), ("force-merged", 20)] {
                    for index in 0..<count {
                        let forced = try await httpPost(
                            bases[index % 2], "/api/v2/forceschedulers/\(scheduler)",
                            body: #"{"jsonrpc": "2.0", "method": "force", "id": 1}"#)
                        #expect(forced.status == 200)
                    }
                }
                let done = try await waitUntil(limit: .seconds(120)) {
                    try await db.buildRequests.getBuildRequests(complete: true).count == 32
                }
                #expect(done, "\(masters[0].logText.suffix(2000))")
                let locked = try await db.builders.findBuilderId("locked")
                let builds = try await db.builds.getBuilds()
                let requests = try await db.buildRequests.getBuildRequests()

                // The lock: never more than two holders at once, whichever master ran the build.
                let trace = try String(
                    contentsOf: directory.appendingPathComponent("locked.trace"), encoding: .utf8)
                var holders = 0
                var most = 0
                for line in trace.split(separator: "\n") {
                    holders += line == "start" ? 1 : -1
                    most = max(most, holders)
                }
                #expect(trace.split(separator: "\n").count == 24 && holders == 0, "\(trace)")
                #expect(most == 2, "\(trace)")
                let lockedBuilds = builds.filter { $0.builderID == locked }
                #expect(lockedBuilds.count == 12 && lockedBuilds.allSatisfy { $0.results == .success })
                #expect(Set(lockedBuilds.map(\.masterID)).count == 2, "both masters ran builds under the lock")

                // Collapsing: each request ends once, built by one build or merged into a request that was.
                let merged = requests.filter { $0.builderID != locked }
                let buildsByRequest = Dictionary(grouping: builds, by: \.buildRequestID)
                #expect(merged.count == 20 && merged.allSatisfy(\.complete))
                for request in merged {
                    if let into = request.collapsedInto {
                        #expect(request.results == .skipped && buildsByRequest[request.id] == nil)
                        #expect(buildsByRequest[into]?.map(\.results) == [.success], "\(request.id) → \(into)")
                    } else {
                        #expect(request.results == .success && buildsByRequest[request.id]?.count == 1)
                    }
                }
                #expect(merged.contains { $0.collapsedInto != nil }, "requests queued behind busy workers collapse")
            }
        }
    }
}
