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
    @Test("it attaches, runs shell commands with stdout, stderr and exit codes, and shuts down on request")
    func shell() async throws {
        try await WorkerPortHarness.withPort(passwords: ["wk1": "pass1"]) { harness in
            let (worker, link, info) = try await harness.connect(name: "wk1", password: "pass1")
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
        try await WorkerPortHarness.withPort(passwords: ["wk1": "pass1"]) { harness in
            let port = harness.port
            let links = harness.links
            let worker = try await BuildbotWorkerProcess(
                name: "wk1", password: "WRONG", masterPort: harness.number, directory: harness.directory)
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
