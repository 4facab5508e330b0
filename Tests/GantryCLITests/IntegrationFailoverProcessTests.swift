import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension ProcessTests {
    /// A reporter and a git poller on two real masters sharing PostgreSQL; the master running them is SIGKILLed.
    @Suite("Reporters and change sources with real masters", .enabled(if: TestBackend.postgresURL != nil))
    struct IntegrationFailoverProcessTests {
        /// heartbeat 1 s, expireAfter 3 s, claimPoll 1 s: the survivor takes the services over within seconds.
        private func config(_ name: String, url: DatabaseURL, services: String) -> String {
            fastClusterConfig(name, url: url) + """
                builders: [{name: build}]
                secrets: {environmentPrefix: GANTRY_SECRET_}

                """ + services
        }

        /// Which master (by name) holds the service `name` of `kind`.
        private func holder(_ kind: ServiceKind, _ name: String, _ db: Database) async throws -> String? {
            guard let masterID = try await db.claims(kind).getClaimingMasters()[name] else { return nil }
            return try await db.masters.getMasters().items.first { $0.id == masterID }?.name
        }

        @Test(
            "the reporting master is SIGKILLed mid-delivery: every status arrives, and only those in flight twice"
        )
        func reporterFailover() async throws {
            try await withCluster { url, directory in
                try await FakeCodeHost.with(.github) { github in
                    let services = """
                        schedulers: [{name: commits, type: anyBranch, builderNames: [build]}]
                        reporters:
                          - {name: github, type: github, baseURL: "\(github.baseURL)", tokenSecret: github_token,
                             maxPerMinute: 100000}
                        """
                    let environment = ["GANTRY_SECRET_github_token": "t0ken"]
                    let first = try MasterProcess(
                        name: "r1", config: config("r1", url: url, services: services), directory: directory,
                        environment: environment)
                    var masters = [first]
                    defer { for master in masters { master.send(SIGKILL) } }
                    try await Database.withDatabase(url, logger: silentLogger) { db in
                        #expect(
                            await waitUntil(limit: .seconds(60)) {
                                (try? await self.holder(.reporter, "github", db)) == "r1"
                            })
                        masters.append(
                            try MasterProcess(
                                name: "r2", config: config("r2", url: url, services: services),
                                directory: directory, environment: environment))
                        #expect(
                            await waitUntil(limit: .seconds(60)) {
                                (try? await db.masters.getMasters().items.filter(\.active).count) == 2
                            })
                        // The first status is held unanswered, so the reporting master dies while sending it.
                        github.hold()
                        let shas = (1...10).map { String(repeating: String($0 % 10), count: 40) }
                        for sha in shas {
                            try await db.changes.addChange(
                                NewChange(
                                    author: "ann", revision: sha, repository: "https://github.com/acme/app"))
                        }
                        #expect(await waitUntil(limit: .seconds(60)) { !github.requests.isEmpty })
                        // The master sends a few at once: all of them are in flight, held, when it dies.
                        try await Task.sleep(for: .seconds(1))
                        func sha(_ request: FakeCodeHost.Request) -> String {
                            request.path.split(separator: "/").last.map(String.init) ?? ""
                        }
                        let inFlight = github.requests.map(sha)
                        first.send(SIGKILL)
                        github.release()
                        #expect(await waitUntil(limit: .seconds(90)) { Set(github.requests.map(sha)) == Set(shas) })
                        try await Task.sleep(for: .seconds(2))
                        // Each status once, and those in flight when the master died once more: never a third time.
                        let sent = Dictionary(grouping: github.requests.map(sha), by: { $0 }).mapValues(\.count)
                        #expect(github.requests.count == shas.count + inFlight.count)
                        #expect(sent.filter { $0.value == 2 }.keys.sorted() == inFlight.sorted())
                        #expect(github.requests.allSatisfy { $0.json?["state"]?.string == "pending" })
                        #expect(github.violations.isEmpty)
                        #expect(try await self.holder(.reporter, "github", db) == "r2")
                        let pending = try await db.reporters.statuses().first?.pending
                        #expect(pending == 0)
                    }
                }
            }
        }

        @Test("the polling master is SIGKILLed between two pushes: each commit becomes one change, none is repeated")
        func pollerFailover() async throws {
            try await withCluster { url, directory in
                let repository = directory.appendingPathComponent("upstream").path
                try git("init", "-q", "-b", "main", repository)
                let base = try commit(repository, "base")
                let services = """
                    changeSources:
                      - {name: app, type: gitpoller, repourl: "file://\(repository)", branches: [main],
                         pollInterval: 1s, pollAtLaunch: true}
                    """
                let first = try MasterProcess(
                    name: "p1", config: config("p1", url: url, services: services), directory: directory)
                var masters = [first]
                defer { for master in masters { master.send(SIGKILL) } }
                try await Database.withDatabase(url, logger: silentLogger) { db in
                    func revisions() async throws -> [String] {
                        try await db.changes.getChanges().sorted { $0.id < $1.id }.compactMap(\.revision)
                    }
                    #expect(
                        await waitUntil(limit: .seconds(60)) {
                            (try? await self.holder(.changeSource, "app", db)) == "p1"
                        })
                    let poller = try await db.state.getObjectId("app", className: "GitPoller")
                    // The first poll records the head and makes no change: history is not replayed.
                    #expect(
                        await waitUntil(limit: .seconds(60)) {
                            (try? await db.state.getState(poller, "lastRev", default: .null)) != .null
                        })
                    let one = try commit(repository, "one")
                    #expect(await waitUntil(limit: .seconds(60)) { (try? await revisions()) == [one] })
                    masters.append(
                        try MasterProcess(
                            name: "p2", config: config("p2", url: url, services: services), directory: directory))
                    #expect(
                        await waitUntil(limit: .seconds(60)) {
                            (try? await db.masters.getMasters().items.filter(\.active).count) == 2
                        })
                    first.send(SIGKILL)
                    let two = try commit(repository, "two")
                    #expect(await waitUntil(limit: .seconds(90)) { (try? await revisions()) == [one, two] })
                    #expect(try await self.holder(.changeSource, "app", db) == "p2")
                    try await Task.sleep(for: .seconds(3))
                    #expect(try await revisions() == [one, two])
                    #expect(!(try await revisions()).contains(base))
                }
            }
        }

        /// Commits an empty change with `message` to the repository at `path`; returns its revision.
        private func commit(_ path: String, _ message: String) throws -> String {
            try git(
                "-C", path, "-c", "user.name=Ann", "-c", "user.email=ann@example.org", "commit", "-q",
                "--allow-empty", "-m", message)
            return try git("-C", path, "rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// Runs git; its standard output.
        @discardableResult
        private func git(_ arguments: String...) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["git"] + arguments
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw GantryError(.invalidArgument, "git \(arguments.joined(separator: " ")) failed")
            }
            return String(decoding: data, as: UTF8.self)
        }
    }
}
