import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension ProcessTests {
    /// `ssh` pools on hosts in network namespaces, whose sshd starts the `gantry` under test as workers.
    @Suite(
        "ssh pools on namespace hosts", .enabled(if: NamespaceHost.available, "needs root, iproute2 and OpenSSH"),
        .timeLimit(.minutes(3)))
    struct SSHPoolProcessTests {
        /// A master with an `ssh` pool `s` of two hosts: `small` takes one worker, `large` two.
        struct Setup {
            let master: MasterProcess
            let base: URL
            let db: Database
            let small: NamespaceHost
            let large: NamespaceHost
            /// The hosts' directory for the pool's workers.
            let basedir: URL
        }

        /// Runs `body` with a master named `name` whose worker port listens on `large`'s link (which both hosts
        /// reach), its key in its secrets directory, and pool `s` for builder `b1` (running `steps`) with `pool`
        /// settings (after its name and builders) and `provisioner` ones (after its hosts, user, key, gantry,
        /// basedir and a 2 s connection timeout). The master is killed, its ssh sessions are waited for and the
        /// hosts removed on every path.
        private func withPool(
            _ name: String, steps: String, pool: [String], provisioner: [String] = [],
            _ body: (Setup) async throws -> Void
        ) async throws {
            try await NamespaceHost.withHosts(2) { hosts in
                let (small, large) = (hosts[0], hosts[1])
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                    "gantry-ssh-\(UUID().uuidString)")
                let secrets = directory.appendingPathComponent("secrets")
                try FileManager.default.createDirectory(at: secrets, withIntermediateDirectories: true)
                defer { removeDirectories(of: directory) }
                try small.privateKey.write(
                    to: secrets.appendingPathComponent("sshkey"), atomically: true, encoding: .utf8)
                try (small.knownHostsLine + "\n" + large.knownHostsLine).write(
                    to: secrets.appendingPathComponent("known_hosts"), atomically: true, encoding: .utf8)
                let basedir = directory.appendingPathComponent("hosts")
                var lines = [
                    "name: \(name)", "http: 127.0.0.1:0", "workerPort: {address: \"\(large.linkAddress):0\"}",
                    "secrets: {directory: secrets}",
                    "builders: [{name: b1, collapseRequests: false, steps: \(steps)}]",
                    "schedulers: [{name: force, type: force, builderNames: [b1]}]",
                    "pools:", "  - name: s", "    builders: [b1]",
                ]
                lines += pool.map { "    \($0)" }
                lines += [
                    "    provisioner:", "      type: ssh", "      hosts:",
                    "        - {address: \"\(small.address)\", capacity: 1}",
                    "        - {address: \"\(large.address)\", capacity: 2}",
                    "      user: root", "      privateKeySecret: sshkey",
                    "      gantry: \"\(GantryProcess.executable.path)\"", "      basedir: \"\(basedir.path)\"",
                    "      connectTimeout: 2s",
                ]
                lines += provisioner.map { "      \($0)" }
                let master = try MasterProcess(
                    name: name, config: lines.joined(separator: "\n") + "\n", directory: directory)
                do {
                    let http = try #require(try await master.httpPort(), "\(master.logText)")
                    let base = try #require(URL(string: "http://127.0.0.1:\(http)"))
                    let url = DatabaseURL.sqlite(.file(path: directory.appendingPathComponent("gantry.sqlite").path))
                    try await Database.withDatabase(url, logger: silentLogger) { db in
                        try await body(
                            Setup(master: master, base: base, db: db, small: small, large: large, basedir: basedir))
                    }
                } catch {
                    await stop(master, sessionsTo: hosts)
                    throw error
                }
                await stop(master, sessionsTo: hosts)
            }
        }

        /// Kills the master, then waits for its ssh sessions to end by themselves (their standard input closed, the
        /// hosts stop their workers), killing those still there after 20 s.
        private func stop(_ master: MasterProcess, sessionsTo hosts: [NamespaceHost]) async {
            master.send(SIGKILL)
            // Its exit status is of no use here: wait for the process to be gone (or a zombie) by the process table.
            let pid = master.child.processIdentifier
            _ = await eventually(limit: .seconds(10)) { !alive(pid) }
            let deadline = ContinuousClock.now + .seconds(20)
            while !sessions(to: hosts).isEmpty, ContinuousClock.now < deadline, !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(50))
            }
            for session in sessions(to: hosts) { kill(session.pid, SIGKILL) }
        }

        /// The ssh processes connected to `hosts`.
        private func sessions(to hosts: [NamespaceHost]) -> [(pid: Int32, line: String)] {
            hosts.flatMap { ProcessTable.matching("ssh -F none ", " -- \($0.address) ") }
        }

        /// Removes `directory`, and the directory the master kept ssh's files in (named after it, in the system's
        /// temporary directory).
        private func removeDirectories(of directory: URL) {
            try? FileManager.default.removeItem(at: directory)
            let pools = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-pools-\(getuid())")
            let prefix = directory.lastPathComponent + "-"
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: pools.path)) ?? []
            where entry.hasPrefix(prefix) {
                try? FileManager.default.removeItem(at: pools.appendingPathComponent(entry))
            }
        }

        /// Whether process `pid` runs: it exists and is not a zombie.
        private func alive(_ pid: Int32) -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let end = stat.range(of: ") ", options: .backwards)
            else { return false }
            return stat[end.upperBound...].first != "Z"
        }

        /// The `gantry worker` processes running on `host`: those whose executable is the `gantry` under test (the
        /// session's shell and sshd have the same words in their command lines).
        private func workers(on host: NamespaceHost) -> [(pid: Int32, line: String)] {
            let gantry = GantryProcess.executable.resolvingSymlinksInPath().path
            return host.processes().filter { process in
                let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(process.pid)/exe")
                return executable == gantry && process.line.contains(" worker --master ") && alive(process.pid)
            }
        }

        /// The pool's event log, as (event, detail).
        private func events(_ base: URL) async -> [(event: String, detail: String)] {
            let events = (try? await httpGet(base, "/api/v2/pools/s/events"))?["events"]?.elements ?? []
            return events.map { ($0["event"]?.string ?? "", $0["detail"]?.string ?? "") }
        }

        /// The pool's instances as the master lists them.
        private func instances(_ base: URL) async -> [JSONValue] {
            (try? await httpGet(base, "/api/v2/pools/s/instances"))?["instances"]?.elements ?? []
        }

        /// Waits until `condition` holds, looking every 50 ms (each look may read the process table), and says
        /// whether it did within `limit`.
        private func eventually(
            limit: Duration = .seconds(30), isolation: isolated (any Actor)? = #isolation, _ condition: () -> Bool
        ) async -> Bool {
            let deadline = ContinuousClock.now + limit
            while !condition() {
                guard ContinuousClock.now < deadline else { return false }
                try? await Task.sleep(for: .milliseconds(50))
            }
            return true
        }

        /// Waits until `count` build requests are complete, and says whether they were within `limit`.
        /// Each look is a query, every 50 ms, so as not to take the master's share of the machine.
        private func complete(_ count: Int, _ setup: Setup, limit: Duration = .seconds(90)) async throws -> Bool {
            let deadline = ContinuousClock.now + limit
            while try await setup.db.buildRequests.getBuildRequests(complete: true).count != count {
                guard ContinuousClock.now < deadline else { return false }
                try await Task.sleep(for: .milliseconds(50))
            }
            return true
        }

        @Test(
            "a build runs on a worker started over ssh, the host's key checked, the password on standard input; retired, it is stopped and cleaned up"
        )
        func buildOnHost() async throws {
            try await withPool(
                "sshbuild", steps: "[{name: where, shell: \"ip -4 -o addr show\"}]",
                pool: ["maxWorkers: 2", "idleTimeout: 5s"],
                provisioner: ["knownHostsSecret: known_hosts", "cleanup: \"touch cleaned\""]
            ) { setup in
                let (small, master) = (setup.small, setup.master)
                try await force(setup.base)
                #expect(try await complete(1, setup, limit: .seconds(60)), "\(master.logText)")
                #expect(try await setup.db.buildRequests.getBuildRequests().first?.results == .success)
                // The first worker goes to the first host listed, the two being equally free.
                let output = try await log(setup.db, build: 1, step: 0)
                #expect(output.contains("inet \(small.address)/24"), "the step ran on the host: \(output)")
                let instance = await instances(setup.base).first
                let providerID = instance?["provider_id"]?.string ?? ""
                #expect(providerID.hasPrefix("\(small.address):22/s-1/"), "\(String(describing: instance))")
                #expect(instance?["provisioner"] == .string("ssh"), "\(String(describing: instance))")
                let worker = try #require(try await setup.db.workers.getWorker(named: "s-1"))
                let directory = setup.basedir.appendingPathComponent("s-1")
                #expect(worker.workerInfo["basedir"]?.string == directory.appendingPathComponent("work").path)

                let passwordFile = directory.appendingPathComponent(".password")
                var info = stat()
                let found = stat(passwordFile.path, &info) == 0
                #expect(found && info.st_mode & 0o777 == 0o600, "only its user reads it")
                let password = try String(contentsOf: passwordFile, encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(password.count >= 8)
                #expect(!ProcessTable.all.contains { $0.line.contains(password) }, "the password is in a command line")
                for session in sessions(to: [small]) {
                    let environment = FileManager.default.contents(atPath: "/proc/\(session.pid)/environ") ?? Data()
                    #expect(!String(decoding: environment, as: UTF8.self).contains(password), "in ssh's environment")
                }

                let retired = await eventually { workers(on: small).isEmpty && sessions(to: [small]).isEmpty }
                #expect(retired, "\(master.logText)")
                #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("cleaned").path))
                #expect(!FileManager.default.fileExists(atPath: passwordFile.path))
                var shown: [JSONValue] = []
                let stopped = await waitUntil {
                    shown = await instances(setup.base)
                    if shown.first?["state"] == .string("stopped") { return true }
                    try? await Task.sleep(for: .milliseconds(50))
                    return false
                }
                #expect(stopped, "\(shown)")
                let kinds = await events(setup.base).map(\.event)
                #expect(kinds.contains("connected") && kinds.contains("retired"), "\(kinds)")
            }
        }

        @Test("4 builds at once on hosts for 1 and 2 workers: never more than 3 workers, nor 2 on the small host")
        func capacity() async throws {
            try await withPool(
                "sshcap", steps: "[{name: work, shell: \"sleep 3\"}]", pool: ["maxWorkers: 4", "idleTimeout: 60s"]
            ) { setup in
                for _ in 0..<4 { try await force(setup.base) }
                var peak = (small: 0, large: 0, total: 0)
                let deadline = ContinuousClock.now + .seconds(90)
                while try await setup.db.buildRequests.getBuildRequests(complete: true).count < 4,
                    ContinuousClock.now < deadline
                {
                    let (small, large) = (workers(on: setup.small).count, workers(on: setup.large).count)
                    peak = (max(peak.small, small), max(peak.large, large), max(peak.total, small + large))
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(try await complete(4, setup, limit: .zero), "\(setup.master.logText)")
                #expect(try await setup.db.buildRequests.getBuildRequests().allSatisfy { $0.results == .success })
                #expect(peak.small == 1 && peak.large == 2 && peak.total == 3, "\(peak)")
                let deferred = await events(setup.base).filter { $0.event == "start deferred" }
                #expect(
                    deferred.contains { $0.detail.hasPrefix("every host is full or down") }, "\(deferred)")
                let ids = await instances(setup.base).compactMap { $0["provider_id"]?.string }
                let hosts = Set(ids.map { id in String(id.prefix { $0 != "/" }) })
                #expect(hosts == ["\(setup.small.address):22", "\(setup.large.address):22"], "\(ids)")
            }
        }

        @Test(
            "a host that went away: the start there fails and the other host takes the work; back up, it works again"
        )
        func hostDown() async throws {
            try await withPool(
                "sshdown", steps: "[{name: work, shell: \"sleep 2\"}]", pool: ["maxWorkers: 3", "idleTimeout: 60s"]
            ) { setup in
                let (small, large) = (setup.small, setup.large)
                try await small.takeDown()
                for _ in 0..<2 { try await force(setup.base) }
                var seenOnSmall = false
                let deadline = ContinuousClock.now + .seconds(60)
                while try await setup.db.buildRequests.getBuildRequests(complete: true).count < 2,
                    ContinuousClock.now < deadline
                {
                    seenOnSmall = seenOnSmall || !workers(on: small).isEmpty
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(try await complete(2, setup, limit: .zero), "\(setup.master.logText)")
                // The second build may go to the first worker, done with the first build before another starts.
                let onLarge = workers(on: large).count
                #expect(!seenOnSmall && (1...2).contains(onLarge), "\(onLarge) workers on the other host")
                let failed = await events(setup.base).filter { $0.event == "start failed" }
                #expect(
                    failed.contains { $0.detail.hasPrefix("host \(small.address):22 is unreachable: ") },
                    "\(failed)")

                // Past the 5 s the pool leaves a host alone after its first failure.
                try await small.bringUp()
                try await Task.sleep(for: .seconds(5))
                for _ in 0..<3 { try await force(setup.base) }
                let used = await eventually(limit: .seconds(60)) { !workers(on: small).isEmpty }
                #expect(used, "the host takes workers again: \(setup.master.logText)")
                #expect(try await complete(5, setup), "\(setup.master.logText)")
                #expect(try await setup.db.buildRequests.getBuildRequests().allSatisfy { $0.results == .success })
            }
        }

        @Test(
            "a host's sshd killed: its session goes on, the next start there fails as unreachable, the other host takes the work"
        )
        func sshdKilled() async throws {
            try await withPool(
                "sshkill", steps: "[{name: work, shell: \"sleep 3\"}]", pool: ["maxWorkers: 3", "idleTimeout: 1s"]
            ) { setup in
                let (small, large) = (setup.small, setup.large)
                for _ in 0..<3 { try await force(setup.base) }
                let running = await eventually(limit: .seconds(60)) {
                    workers(on: small).count == 1 && workers(on: large).count == 2
                }
                #expect(running, "\(setup.master.logText)")
                await small.killSSHD()
                #expect(try await complete(3, setup), "\(setup.master.logText)")
                #expect(try await setup.db.buildRequests.getBuildRequests().allSatisfy { $0.results == .success })
                let retired = await eventually { workers(on: small).isEmpty && workers(on: large).isEmpty }
                #expect(retired, "\(setup.master.logText)")

                for _ in 0..<2 { try await force(setup.base) }
                #expect(try await complete(5, setup), "\(setup.master.logText)")
                #expect(try await setup.db.buildRequests.getBuildRequests().allSatisfy { $0.results == .success })
                let failed = await events(setup.base).filter { $0.event == "start failed" }
                #expect(
                    failed.contains {
                        $0.detail.hasPrefix("host \(small.address):22 is unreachable: ")
                            && $0.detail.contains("Connection refused")
                    }, "\(failed)")
                let onSmall = await instances(setup.base).filter {
                    $0["provider_id"]?.string?.hasPrefix("\(small.address):22/") == true
                }
                #expect(onSmall.count == 1, "only the first worker ran on the host: \(onSmall)")
            }
        }
    }
}
