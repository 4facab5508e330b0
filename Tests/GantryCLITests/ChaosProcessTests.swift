import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension ProcessTests {
    /// Three real masters on PostgreSQL, each with real buildbot-workers, and a local pool, building 300 forced
    /// requests while the masters are killed, paused past `expireAfter` and stopped.
    @Suite(
        "Exactly once under master faults",
        .enabled(if: TestBackend.postgresURL != nil),
        .enabled(if: BuildbotWorkerProcess.executable != nil, "GANTRY_TEST_BUILDBOT_WORKER is not set"),
        .timeLimit(.minutes(5))
    )
    struct ChaosProcessTests {
        static let requests = 300
        /// Requests forced after c2 resumed, on a builder only its workers serve.
        static let onC2 = 5

        /// A master's configuration: every master serves every worker, and each worker connects to one of them.
        private func config(_ name: String, url: DatabaseURL, workerPort: Int, workers: [String]) -> String {
            fastClusterConfig(name, url: url) + """
                workerPort: {address: "127.0.0.1:\(workerPort)", keepalive: 2s}
                workers: [\(workers.map { "{name: \($0), password: p-\($0)}" }.joined(separator: ", "))]
                collapseRequests: false
                builders:
                  - {name: build, workers: [\(workers.joined(separator: ", "))], steps: [{name: work, shell: "sleep 0.05"}]}
                  - {name: on-c2, workers: [c2-a, c2-b], steps: [{name: work, shell: "true"}]}
                pools:
                  - {name: pool, builders: [build], maxWorkers: 2}
                schedulers:
                  - {name: force, type: force, builderNames: [build]}
                  - {name: force-c2, type: force, builderNames: [on-c2]}
                """
        }

        @Test(
            "SIGKILL, SIGSTOP past expireAfter and SIGTERM while 300 builds run: every request has exactly one SUCCESS build, the resumed master's workers build again, no process is left"
        )
        func chaos() async throws {
            try await withCluster { url, directory in
                let names = ["c1", "c2", "c3"]
                let workers = names.flatMap { master in ["\(master)-a", "\(master)-b"] }
                let ports = try names.map { _ in try freeLocalPort() }
                let start = { (index: Int) in
                    try MasterProcess(
                        name: names[index],
                        config: config(names[index], url: url, workerPort: ports[index], workers: workers),
                        directory: directory)
                }
                var masters = try names.indices.map(start)
                var pids: [Int32] = masters.map(\.child.processIdentifier)
                defer { for master in masters { master.send(SIGKILL) } }
                var processes: [BuildbotWorkerProcess] = []
                defer { for worker in processes { Task { await worker.stop() } } }
                for (index, master) in masters.enumerated() {
                    _ = try #require(try await master.workerPort(), "\(master.logText)")
                    for name in workers where name.hasPrefix(names[index]) {
                        processes.append(
                            try await BuildbotWorkerProcess(
                                name: name, password: "p-\(name)", masterPort: ports[index], directory: directory))
                    }
                }
                try await Database.withDatabase(url, logger: silentLogger) { db in
                    #expect(
                        try await waitUntil(limit: .seconds(60)) {
                            try await db.workers.getWorkers().filter { !$0.connectedTo.isEmpty }.count >= workers.count
                        }, "\(masters[0].logText.suffix(2000))")
                    let http = try #require(try await masters[2].httpPort())
                    let base = try #require(URL(string: "http://127.0.0.1:\(http)"))
                    for _ in 0..<Self.requests { try await force(base) }

                    // c2 is paused past expireAfter: a peer expires it; resumed, its workers must build again.
                    #expect(try await waitUntil { try await db.builds.getBuilds(complete: true).count >= 20 })
                    masters[1].send(SIGSTOP)
                    let c2 = try await db.masters.findMasterId("c2")
                    #expect(
                        try await waitUntil { try await db.masters.getMaster(c2)?.active == false }, "c2 never expired")
                    masters[1].send(SIGCONT)
                    // Builds only c2's workers can run: they are built only if c2 registered its workers again.
                    #expect(await waitUntil { masters[1].logText.contains("workers registered again") })
                    for _ in 0..<Self.onC2 { try await force(base, scheduler: "force-c2") }

                    // c1 is killed mid-build and started again on its port, where its workers reconnect.
                    #expect(try await waitUntil { try await db.builds.getBuilds(complete: true).count >= 80 })
                    masters[0].send(SIGKILL)
                    _ = await masters[0].waitForExit()
                    masters[0] = try start(0)
                    pids.append(masters[0].child.processIdentifier)

                    // c3 stops cleanly and starts again.
                    #expect(try await waitUntil { try await db.builds.getBuilds(complete: true).count >= 150 })
                    masters[2].send(SIGTERM)
                    #expect(await masters[2].waitForExit() == 0)
                    masters[2] = try start(2)
                    pids.append(masters[2].child.processIdentifier)

                    let total = Self.requests + Self.onC2
                    let done = try await waitUntil(limit: .seconds(180)) {
                        try await db.buildRequests.getBuildRequests(complete: true).count == total
                    }
                    #expect(done, "\(masters[1].logText.suffix(3000))")
                    let requests = try await db.buildRequests.getBuildRequests()
                    #expect(requests.count == total && requests.allSatisfy { $0.results == .success })
                    let builds = try await db.builds.getBuilds()
                    let successes = Dictionary(grouping: builds.filter { $0.results == .success }, by: \.buildRequestID)
                    #expect(successes.count == total, "none lost")
                    #expect(successes.values.allSatisfy { $0.count == 1 }, "none built twice")
                    #expect(builds.allSatisfy { $0.completeAt != nil }, "no build left unfinished")
                }
                for master in masters { master.send(SIGTERM) }
                for master in masters { _ = await master.waitForExit() }
                for worker in processes { await worker.stop() }
                // Pool workers stop with their master; none of them, nor any master, is left.
                #expect(await waitUntil { pids.allSatisfy { !isAlive($0) } })
                #expect(await waitUntil { poolWorkers(of: ports).isEmpty }, "\(poolWorkers(of: ports))")
            }
        }
    }
}

/// Whether process `pid` exists and has not exited (a zombie no one reaped yet counts as exited).
func isAlive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let end = stat.range(of: ") ", options: .backwards)
    else { return false }
    return stat[end.upperBound...].first != "Z"
}

/// The `gantry worker` processes that connect to one of the worker `ports`.
func poolWorkers(of ports: [Int]) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard isAlive(pid), let command = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)
        else { return false }
        return ports.contains { command.contains("worker\u{0}--master\u{0}127.0.0.1:\($0)\u{0}") }
    }
}
