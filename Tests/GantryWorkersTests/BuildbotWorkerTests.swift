import Foundation
import GantryTesting
import GantryWire
import GantryWorkers
import Testing

/// An unmodified buildbot-worker 4.3 against Gantry's worker port.
@Suite(
    "A real buildbot-worker", .paced,
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

    @Test("mkdir, stat, glob, cpdir, rmfile and rmdir do what the SPEC says, with their results in updates")
    func fileCommands() async throws {
        try await WorkerPortHarness.withPort(passwords: ["wk1": "pass1"]) { harness in
            let (worker, link, _) = try await harness.connect(name: "wk1", password: "pass1")
            defer { Task { await worker.stop() } }
            let root = worker.basedir.appendingPathComponent("b1").path
            /// Runs `name` and returns its updates by key (the last value of each) and its outcome.
            func run(_ name: String, _ args: MessagePackValue) async throws -> ([String: MessagePackValue], Bool) {
                let collected = Collected()
                let outcome = try await link.runCommand(name, args: args) { await collected.add($0) }
                var byKey: [String: MessagePackValue] = [:]
                for item in await collected.items { byKey[item.key] = item.value }
                return (byKey, outcome.succeeded)
            }
            #expect(try await run("mkdir", ["paths": [.string(root + "/src/sub"), .string(root + "/other")]]).1)
            try "x".write(toFile: root + "/src/a.txt", atomically: true, encoding: .utf8)
            let (stat, statOK) = try await run("stat", ["path": .string(root + "/src/a.txt")])
            #expect(statOK && stat["stat"]?.arrayValue?.count == 10, "os.stat's ten fields")
            let (glob, _) = try await run("glob", ["path": .string(root + "/src/*.txt")])
            #expect(glob["files"] == [.string(root + "/src/a.txt")])
            #expect(
                try await run("cpdir", ["from_path": .string(root + "/src"), "to_path": .string(root + "/copy")]).1)
            #expect(FileManager.default.fileExists(atPath: root + "/copy/sub"))
            #expect(try await run("rmfile", ["path": .string(root + "/copy/a.txt")]).1)
            #expect(!FileManager.default.fileExists(atPath: root + "/copy/a.txt"))
            #expect(try await run("rmdir", ["paths": [.string(root + "/copy"), .string(root + "/other")]]).1)
            #expect(try FileManager.default.contentsOfDirectory(atPath: root).sorted() == ["src"])
            let (missing, missingOK) = try await run("stat", ["path": .string(root + "/nothing")])
            #expect(!missingOK && missing["rc"] != nil)
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

    @Test(
        "an upload and a download arrive byte for byte; a keepstamp upload keeps its time; a failed one leaves nothing")
    func transfers() async throws {
        try await WorkerPortHarness.withPort(passwords: ["wk1": "pass1"]) { harness in
            let (worker, link, _) = try await harness.connect(name: "wk1", password: "pass1")
            defer { Task { await worker.stop() } }
            var random = SystemRandomNumberGenerator()
            let content = Data((0..<300_000).map { _ in UInt8.random(in: 0...255, using: &random) })
            let workdir = worker.basedir.appendingPathComponent("b1/build")
            try FileManager.default.createDirectory(at: workdir, withIntermediateDirectories: true)
            let source = workdir.appendingPathComponent("artifact.bin")
            try content.write(to: source)
            let stamp = Date(timeIntervalSince1970: 1_700_000_000)
            try FileManager.default.setAttributes([.modificationDate: stamp], ofItemAtPath: source.path)

            let uploaded = harness.directory.appendingPathComponent("master/artifact.bin")
            let upload = try await link.runCommand(
                "upload_file",
                args: [
                    "path": .string(source.path), "maxsize": nil, "blocksize": 65536, "keepstamp": true,
                ],
                transfer: try FileWriter(destination: uploaded))
            #expect(upload.succeeded)
            #expect(try Data(contentsOf: uploaded) == content)
            let modified = try FileManager.default.attributesOfItem(atPath: uploaded.path)[.modificationDate] as? Date
            #expect(modified.map { abs($0.timeIntervalSince(stamp)) < 1 } == true)

            let downloaded = workdir.appendingPathComponent("sub/downloaded.bin")
            let download = try await link.runCommand(
                "download_file",
                args: ["path": .string(downloaded.path), "maxsize": nil, "blocksize": 1000, "mode": 416],
                transfer: try FileReader(source: uploaded))
            #expect(download.succeeded)
            #expect(try Data(contentsOf: downloaded) == content)
            let mode = try FileManager.default.attributesOfItem(atPath: downloaded.path)[.posixPermissions] as? Int
            #expect(mode == 0o640)

            let missing = harness.directory.appendingPathComponent("master/missing.bin")
            let failed = try await link.runCommand(
                "upload_file",
                args: [
                    "path": .string(workdir.appendingPathComponent("nothing").path), "maxsize": nil,
                    "blocksize": 4096, "keepstamp": false,
                ],
                transfer: try FileWriter(destination: missing))
            #expect(failed.rc == 1 && !failed.succeeded)
            #expect(!FileManager.default.fileExists(atPath: missing.path))
            let leftovers = try FileManager.default.contentsOfDirectory(
                atPath: missing.deletingLastPathComponent().path)
            #expect(leftovers == ["artifact.bin"], "no partial file is left behind")
        }
    }
}
