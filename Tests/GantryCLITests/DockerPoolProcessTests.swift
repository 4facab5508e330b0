import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension ProcessTests {
    /// `docker` pools on podman's Engine API: real containers whose worker is the `gantry` binary under test.
    @Suite(
        "Docker pools on podman", .enabled(if: PodmanService.available, "podman is not installed"),
        .timeLimit(.minutes(3)))
    struct DockerPoolProcessTests {
        /// Runs `body` with a podman service and a pool name no other run uses: podman's containers are the
        /// machine's, so whatever happens, the containers labelled with that pool are removed afterwards. `body`
        /// stops its masters first, so none starts a container after the removal.
        private func withPodman(_ body: (PodmanService, String) async throws -> Void) async throws {
            let podman = try await PodmanService.start()
            let pool = "d" + UUID().uuidString.prefix(8).lowercased()
            do {
                try await body(podman, pool)
            } catch {
                await podman.removeAll(label: "gantry.pool=\(pool)")
                await podman.stop()
                throw error
            }
            await podman.removeAll(label: "gantry.pool=\(pool)")
            await podman.stop()
        }

        /// A master named `name` on SQLite with `config` (its YAML after the name, HTTP and worker port lines);
        /// `body` gets the master, its API's address and its database once the master runs its schedulers. The
        /// master is killed and waited for on every path.
        private func withMaster(
            _ name: String, config: String, _ body: (MasterProcess, URL, Database) async throws -> Void
        ) async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "gantry-docker-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            try await ProcessTests.withPoolMaster(name, config: config, in: directory, body)
        }

        /// Kills `masters` and waits until they are gone, so none starts a container after a test's cleanup.
        private func stopMasters(_ masters: [MasterProcess]) async {
            for master in masters { master.send(SIGKILL) }
            for master in masters { _ = await master.waitForExit() }
        }

        /// The `pools:` list of one `docker` pool named `pool` for builder `b1`, with `settings` (`maxWorkers: 1`)
        /// and containers of `image` started through `podman`'s socket. The worker in them takes its name, password
        /// and master from the container's environment.
        private func dockerPool(
            _ pool: String, _ podman: PodmanService, image: String = PodmanService.image, settings: [String]
        ) -> String {
            var lines: [String] = ["pools:", "  - name: \(pool)", "    builders: [b1]", "    startTimeout: 60s"]
            lines += settings.map { "    \($0)" }
            lines += [
                "    provisioner:",
                "      type: docker",
                "      socket: \"\(podman.socketPath)\"",
                "      image: \"\(image)\"",
                "      network: host",
                "      command: [\"/usr/local/bin/gantry\", \"worker\", \"--basedir\", \"/tmp/work\"]",
                "      stopGrace: 5s",
            ]
            return lines.joined(separator: "\n") + "\n"
        }

        /// The pool's instances as the master at `base` lists them.
        private func instances(_ base: URL, _ pool: String) async -> [JSONValue] {
            (try? await httpGet(base, "/api/v2/pools/\(pool)/instances"))?["instances"]?.elements ?? []
        }

        /// The state of each of the pool's instances, by provider id.
        private func instanceStates(_ base: URL, _ pool: String) async -> [String: String] {
            var states: [String: String] = [:]
            for item in await instances(base, pool) {
                if let id = item["provider_id"]?.string, let state = item["state"]?.string { states[id] = state }
            }
            return states
        }

        /// The pool's event log as the master at `base` shows it.
        private func events(_ base: URL, _ pool: String) async -> [JSONValue] {
            (try? await httpGet(base, "/api/v2/pools/\(pool)/events"))?["events"]?.elements ?? []
        }

        /// Whether the step of build `build` has started.
        private func stepStarted(_ db: Database, build: Int = 1) async throws -> Bool {
            try await db.steps.getSteps(buildid: build).first?.startedAt != nil
        }

        @Test("a forced build starts one container; its worker connects and builds; the instance is shown running")
        func startConnectBuild() async throws {
            try await withPodman { podman, pool in
                let config = """
                    builders: [{name: b1, steps: [{name: work, shell: "true"}]}]
                    schedulers: [{name: force, type: force, builderNames: [b1]}]

                    """ + dockerPool(pool, podman, settings: ["maxWorkers: 2"])
                try await withMaster("dstart", config: config) { master, base, db in
                    try await force(base)
                    let built = try await waitUntil(limit: .seconds(90)) {
                        try await db.buildRequests.getBuildRequests(complete: true).count == 1
                    }
                    #expect(built, "\(master.logText)")
                    #expect(try await db.buildRequests.getBuildRequests().first?.results == .success)

                    let containers = try await podman.containers(label: "gantry.pool=\(pool)")
                    #expect(containers.count == 1 && containers.allSatisfy(\.running), "one request, one container")
                    let container = try #require(containers.first, "\(master.logText)")
                    #expect(container.labels["gantry.worker"] == "\(pool)-1", "\(container.labels)")
                    for key in ["gantry.cluster", "gantry.master", "gantry.epoch"] {
                        #expect(container.labels[key] != nil, "no \(key) in \(container.labels)")
                    }
                    // The worker that built is the container's: it reports the base directory its command names.
                    let worker = try #require(try await db.workers.getWorker(named: "\(pool)-1"))
                    #expect(try await db.builds.getBuilds().first?.workerID == worker.id)
                    #expect(worker.workerInfo["basedir"]?.string == "/tmp/work", "\(worker.workerInfo)")
                    let environ = worker.workerInfo["environ"]
                    #expect(environ != nil && environ?["WORKER_PASSWORD"] == nil, "anyone may read a worker's info")

                    var instance: JSONValue?
                    let recorded = await waitUntil {
                        instance = await instances(base, pool).first
                        return instance?["state"] == .string("running") && (instance?["connected_at"] ?? .null) != .null
                    }
                    #expect(recorded, "\(String(describing: instance))")
                    let shown = try #require(instance)
                    #expect(shown["provider_id"] == .string(container.id), "\(shown)")
                    #expect(shown["pool"] == .string(pool) && shown["worker"] == .string("\(pool)-1"), "\(shown)")
                    #expect(shown["provisioner"] == .string("docker") && shown["masterid"] == .number(1), "\(shown)")
                    #expect((shown["started_at"] ?? .null) != .null && (shown["stopped_at"] ?? .null) == .null)
                    #expect(await instances(base, pool).count == 1)
                    let status = try await httpGet(base, "/api/v2/pools/\(pool)")
                    #expect(status["pools", 0, "blocked"] == .null, "\(status.json)")
                    let page = try await httpGetText(base, "/pools")
                    #expect(page.status == 200 && page.text.contains(container.id), "the pools page shows the instance")
                    #expect(page.text.contains(#"class="badge result-running">running"#), "\(page.text)")
                }
            }
        }

        @Test(
            "a container killed mid-build: its worker is pruned, the build ends RETRY, a new container builds it again"
        )
        func killedContainer() async throws {
            try await withPodman { podman, pool in
                // Only the first build sleeps: the retried one finishes at once.
                let config = """
                    builders:
                      - name: b1
                        steps: [{name: work, shell: "if [ %(prop:buildnumber)s = 1 ]; then sleep 30; fi"}]
                    schedulers: [{name: force, type: force, builderNames: [b1]}]

                    """ + dockerPool(pool, podman, settings: ["maxWorkers: 1"])
                try await withMaster("dkill", config: config) {
                    (master: MasterProcess, base: URL, db: Database) async throws in
                    let label = "gantry.pool=\(pool)"
                    try await force(base)
                    let stepRan = try await waitUntil(limit: .seconds(60)) { try await stepStarted(db) }
                    #expect(stepRan, "\(master.logText)")
                    let started = try await podman.containers(label: label)
                    let victim = try #require(started.first, "\(master.logText)")
                    #expect(started.count == 1 && victim.running, "\(started)")
                    let victimID = victim.id
                    try await podman.kill(victimID)

                    let retried = try await waitUntil(limit: .seconds(30)) {
                        try await db.builds.getBuild(1)?.results == .retry
                    }
                    #expect(retried, "\(master.logText)")
                    let done = try await waitUntil(limit: .seconds(90)) {
                        try await db.buildRequests.getBuildRequests(complete: true).count == 1
                    }
                    #expect(done, "\(master.logText)")
                    #expect(try await db.buildRequests.getBuildRequests().first?.results == .success)
                    let builds = try await db.builds.getBuilds()
                    #expect(builds.count == 2 && builds.filter { $0.results == .success }.count == 1, "\(builds)")

                    let now = try await podman.containers(label: label)
                    let replacement = try #require(now.first(where: { $0.running && $0.id != victimID }), "\(now)")
                    let removed = try await waitUntil(limit: .seconds(30)) {
                        let left = try await podman.containers(label: label)
                        return !left.contains { $0.id == victimID }
                    }
                    #expect(removed, "the killed container is removed")
                    let kinds = await events(base, pool).compactMap { $0["event"]?.string }
                    #expect(kinds.contains("pruned") && kinds.filter { $0 == "start requested" }.count == 2, "\(kinds)")

                    let replacementID = replacement.id
                    let recorded = await waitUntil {
                        let states = await instanceStates(base, pool)
                        return states[victimID] == "stopped" && states[replacementID] == "running"
                    }
                    let listed = await instances(base, pool)
                    #expect(recorded, "\(listed)")
                }
            }
        }

        @Test(
            "a missing image blocks the pool: it says why, logs a blocked event, tries no more and leaves no container")
        func missingImage() async throws {
            try await withPodman { podman, pool in
                let config = """
                    builders: [{name: b1, steps: [{name: work, shell: "true"}]}]
                    schedulers: [{name: force, type: force, builderNames: [b1]}]

                    """ + dockerPool(pool, podman, image: "localhost/no-such-image:1", settings: ["maxWorkers: 1"])
                try await withMaster("dblock", config: config) { master, base, db in
                    try await force(base)
                    let blocked = await waitUntil(limit: .seconds(60)) {
                        (try? await httpGet(base, "/api/v2/pools/\(pool)"))?["pools", 0, "blocked"]?.string != nil
                    }
                    #expect(blocked, "\(master.logText)")
                    let reason = (try? await httpGet(base, "/api/v2/pools/\(pool)"))?["pools", 0, "blocked"]?.string
                    #expect(reason?.contains("no-such-image") == true, "\(String(describing: reason))")
                    let before = await events(base, pool)
                    #expect(before.contains { $0["event"] == .string("blocked") }, "\(before)")

                    // The pool tries no more while the request waits.
                    let attempts = { (events: [JSONValue]) in
                        events.filter {
                            ["start requested", "start failed", "blocked"].contains($0["event"]?.string ?? "")
                        }
                        .count
                    }
                    try await Task.sleep(for: .seconds(3))
                    let after = await events(base, pool)
                    #expect(attempts(after) == attempts(before), "\(after)")
                    #expect(try await db.buildRequests.getBuildRequests(complete: false).count == 1)
                    let still = try await httpGet(base, "/api/v2/pools/\(pool)")
                    #expect(still["pools", 0, "blocked"]?.string == reason, "\(still.json)")
                    let left = try await podman.containers(label: "gantry.pool=\(pool)")
                    #expect(left.isEmpty, "\(left)")
                }
            }
        }

        @Test(
            "on PostgreSQL, a SIGKILLed master's survivor takes its pool, reaps its container, builds on a new one",
            .enabled(if: TestBackend.postgresURL != nil))
        func reapAfterMasterLoss() async throws {
            try await withPodman { podman, pool in
                try await withCluster { url, directory in
                    let config = { (name: String) in
                        fastClusterConfig(name, url: url) + """
                            workerPort: {address: "127.0.0.1:0"}
                            builders: [{name: b1, steps: [{name: work, shell: "sleep 5"}]}]
                            schedulers: [{name: force, type: force, builderNames: [b1]}]

                            """ + dockerPool(pool, podman, settings: ["maxWorkers: 1"])
                    }
                    let label = "gantry.pool=\(pool)"
                    let first = try MasterProcess(name: "r1", config: config("r1"), directory: directory)
                    var masters = [first]
                    do {
                        try await Database.withDatabase(url, logger: silentLogger) { db in
                            let firstID = try await db.masters.findMasterId("r1")
                            let claimed = try await waitUntil(limit: .seconds(60)) {
                                try await db.claims(.pool).getClaimingMasters()[pool] == firstID
                            }
                            #expect(claimed, "\(first.logText)")
                            let second = try MasterProcess(name: "r2", config: config("r2"), directory: directory)
                            masters.append(second)
                            let firstHTTP = try #require(try await first.httpPort(), "\(first.logText)")
                            let secondHTTP = try #require(try await second.httpPort(), "\(second.logText)")
                            let firstBase = try #require(URL(string: "http://127.0.0.1:\(firstHTTP)"))
                            let secondBase = try #require(URL(string: "http://127.0.0.1:\(secondHTTP)"))
                            let both = try await waitUntil(limit: .seconds(60)) {
                                try await db.masters.getMasters().items.filter(\.active).count == 2
                            }
                            #expect(both, "\(second.logText)")

                            try await force(firstBase)
                            let running = try await waitUntil(limit: .seconds(60)) { try await stepStarted(db) }
                            #expect(running, "\(first.logText)")
                            let before = try await podman.containers(label: label)
                            let orphan = try #require(before.first, "\(first.logText)")
                            #expect(before.count == 1 && orphan.running, "\(before)")
                            let deadMaster = try #require(orphan.labels["gantry.master"], "\(orphan.labels)")

                            first.send(SIGKILL)
                            _ = await first.waitForExit()
                            let secondID = try await db.masters.findMasterId("r2")
                            let reaped = try await waitUntil(limit: .seconds(60)) {
                                try await podman.containers(label: label).allSatisfy {
                                    $0.id != orphan.id && $0.labels["gantry.master"] != deadMaster
                                }
                            }
                            #expect(reaped, "\(second.logText)")
                            let built = try await waitUntil(limit: .seconds(90)) {
                                try await db.buildRequests.getBuildRequests(complete: true).count == 1
                            }
                            #expect(built, "\(second.logText)")
                            #expect(try await db.buildRequests.getBuildRequests().first?.results == .success)
                            let builds = try await db.builds.getBuilds()
                            #expect(
                                builds.contains { $0.results == .success && $0.masterID == secondID }, "\(builds)")
                            #expect(try await db.claims(.pool).getClaimingMasters()[pool] == secondID)
                            let own = try await podman.containers(label: label)
                            #expect(
                                own.contains {
                                    $0.running && $0.labels["gantry.master"] != nil
                                        && $0.labels["gantry.master"] != deadMaster
                                }, "the survivor's own worker: \(own)")

                            let poolEvents = await events(secondBase, pool)
                            #expect(
                                poolEvents.contains {
                                    $0["event"] == .string("reaped") && $0["masterid"] == .number(Double(secondID))
                                }, "\(poolEvents)")
                            let orphanID = orphan.id
                            let marked = await waitUntil {
                                await instances(secondBase, pool).contains {
                                    $0["provider_id"] == .string(orphanID) && $0["state"] == .string("stopped")
                                }
                            }
                            let listed = await instances(secondBase, pool)
                            #expect(marked, "the reaped instance is marked stopped: \(listed)")
                        }
                    } catch {
                        await stopMasters(masters)
                        throw error
                    }
                    await stopMasters(masters)
                }
            }
        }

        @Test(
            "a SIGTERMed master lets the build finish within terminateGrace, then stops and removes the container"
        )
        func terminateWithGrace() async throws {
            try await withPodman { podman, pool in
                let config = """
                    builders: [{name: b1, steps: [{name: work, shell: "sleep 3"}]}]
                    schedulers: [{name: force, type: force, builderNames: [b1]}]

                    """ + dockerPool(pool, podman, settings: ["maxWorkers: 1", "terminateGrace: 20s"])
                try await withMaster("dterm", config: config) { master, base, db in
                    let label = "gantry.pool=\(pool)"
                    try await force(base)
                    let stepRan = try await waitUntil(limit: .seconds(60)) { try await stepStarted(db) }
                    #expect(stepRan, "\(master.logText)")
                    let started = try await podman.containers(label: label)
                    #expect(started.count == 1 && started.allSatisfy(\.running), "\(started)")

                    master.send(SIGTERM)
                    #expect(await master.waitForExit() == 0, "\(master.logText)")
                    #expect(try await db.builds.getBuild(1)?.results == .success, "finished within the grace")
                    let left = try await podman.containers(label: label)
                    #expect(left.isEmpty, "nothing outlives the master: \(left)")
                }
            }
        }
    }
}
