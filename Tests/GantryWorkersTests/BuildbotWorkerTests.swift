import Foundation
import GantryTesting
import GantryWire
import GantryWorkers
import Testing

/// An unmodified buildbot-worker 4.3 against Gantry's worker port.
@Suite(
    "A real buildbot-worker",
    .enabled(if: BuildbotWorkerProcess.executable != nil, "GANTRY_TEST_BUILDBOT_WORKER is not set"),
    .timeLimit(.minutes(2))
)
struct BuildbotWorkerTests {
    /// A port on 127.0.0.1 whose links are handed to the test once attached.
    private func withPort(
        passwords: [String: String],
        _ body: (WorkerPort, Int, AsyncStream<(WorkerLink, WorkerInfo)>) async throws -> Void
    ) async throws {
        let port = WorkerPort(host: "127.0.0.1", port: 0, logger: silentLogger) { passwords[$0] }
        let (links, attached) = AsyncStream<(WorkerLink, WorkerInfo)>.makeStream()
        let (bound, boundTo) = AsyncStream<Int>.makeStream()
        let server = Task {
            try await port.run(onBound: { boundTo.yield($0) }) { link in
                guard let info = try? await link.attach() else { return }
                attached.yield((link, info))
                // Keep the link's task alive while the connection lives.
                while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            }
        }
        defer { server.cancel() }
        var boundPorts = bound.makeAsyncIterator()
        let number = try #require(await boundPorts.next())
        try await body(port, number, links)
    }

    private func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-bbw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test("it attaches, runs shell commands with stdout, stderr and exit codes, and shuts down on request")
    func shell() async throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await withPort(passwords: ["wk1": "pass1"]) { _, port, links in
            let worker = try await BuildbotWorkerProcess(
                name: "wk1", password: "pass1", masterPort: port, directory: directory)
            var attached = links.makeAsyncIterator()
            let (link, info) = try #require(await attached.next())
            #expect(link.name == "wk1")
            #expect(info.version == "4.3.0" && info.system == "posix")
            #expect(info.basedir == worker.basedir.path)
            #expect(info.commands.isSuperset(of: ["shell", "upload_file", "download_file", "mkdir", "listdir"]))

            let workdir = worker.basedir.appendingPathComponent("b1/build").path
            let collected = Collected()
            let failing = try await link.runCommand(
                "shell",
                args: [
                    "workdir": .string(workdir), "command": "echo hello; echo err 1>&2; exit 3", "timeout": 1200,
                    "usePTY": false, "logEnviron": false,
                ],
                builderName: "b1"
            ) { await collected.add($0) }
            #expect(failing.rc == 3 && failing.failure == nil && !failing.succeeded)
            let items = await collected.items
            #expect(items.filter { $0.key == "stdout" }.compactMap(\.text).joined() == "hello\n")
            #expect(items.filter { $0.key == "stderr" }.compactMap(\.text).joined() == "err\n")
            #expect(items.contains { $0.key == "elapsed" })

            let argv = try await link.runCommand(
                "shell", args: ["workdir": .string(workdir), "command": ["printf", "%s", "a b"], "usePTY": false])
            #expect(argv.succeeded)

            let listed = Collected()
            _ = try await link.runCommand(
                "listdir", args: ["path": .string(worker.basedir.appendingPathComponent("b1").path)]
            ) {
                await listed.add($0)
            }
            #expect(await listed.items.first { $0.key == "files" }?.value == ["build"])

            _ = try await link.request("shutdown")
            #expect(await worker.waitForExit() != nil)
            await #expect(throws: WorkerLinkError.self) { try await link.request("keepalive") }
        }
    }

    @Test("a wrong password is refused with 401 at the upgrade and no link is made")
    func wrongPassword() async throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await withPort(passwords: ["wk1": "pass1"]) { port, number, links in
            let worker = try await BuildbotWorkerProcess(
                name: "wk1", password: "WRONG", masterPort: number, directory: directory)
            #expect(
                await waitUntil { port.refusedUpgrades >= 1 && worker.log.contains("[401]") },
                "refused \(port.refusedUpgrades); worker log: \(worker.log)")
            await worker.stop()
            let accepted = Task {
                var iterator = links.makeAsyncIterator()
                return await iterator.next() != nil
            }
            try await Task.sleep(for: .milliseconds(200))
            accepted.cancel()
            #expect(await accepted.value == false)
            #expect(!worker.log.contains("pass1"))
        }
    }
}
