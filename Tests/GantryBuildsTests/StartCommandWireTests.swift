import Foundation
import GantryBuilds
import GantryModel
import GantryStorage
import GantryTesting
import GantryWire
import GantryWorkers
import Synchronization
import Testing

/// The `start_command` frames the steps send, byte for byte. buildbot-worker and the native worker read these
/// keys and value types (integers as integers, an argument vector as an array, `nil` for an unset `maxsize`),
/// as the captured transcripts show; the test plays the worker over raw frames, so it speaks the wire itself.
@Suite("The start_command frames of every kind of step", .paced, .timeLimit(.minutes(3)))
struct StartCommandWireTests {
    @Test("shell, SetPropertyFromCommand, uploads, a download and a Git checkout send the arguments workers read")
    func frames() async throws {
        let master = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-wire-\(UUID())")
        try FileManager.default.createDirectory(at: master, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: master) }
        try Data("in\n".utf8).write(to: master.appendingPathComponent("in.bin"))

        var argv = ShellCommand(.argv(["echo", "%(prop:buildername)s"]))
        argv.env = ["B": "2", "A": "%(prop:workername)s"]
        argv.maxTime = 60
        var text = ShellCommand(.shell("make all"))
        text.workdir = "src"
        text.timeout = nil
        var upload = FileUpload(workersrc: "out.bin", masterdest: master.path + "/out.bin")
        upload.maxsize = 1000
        let directory = DirectoryUpload(workersrc: "out", masterdest: master.path + "/out")
        var download = FileDownload(mastersrc: master.path + "/in.bin", workerdest: "in.bin")
        download.mode = 0o640
        var checkout = GitCheckout(repourl: "https://example.org/repo.git")
        checkout.mode = .full(method: .clobber)
        let steps = [
            Step(name: "argv", action: .shellCommand(argv)),
            Step(name: "text", action: .setPropertyFromCommand(text, property: "made")),
            Step(name: "upload", action: .fileUpload(upload)),
            Step(name: "upload dir", action: .directoryUpload(directory)),
            Step(name: "download", action: .fileDownload(download)),
            Step(name: "git", action: .git(checkout)),
        ]

        let argvArgs: MessagePackValue = [
            "workdir": "/w/b1/build", "command": ["echo", "b1"], "env": ["A": "wk1", "B": "2"], "want_stdout": true,
            "want_stderr": true, "usePTY": false, "logEnviron": true, "timeout": 1200, "maxTime": 60,
        ]
        let textArgs: MessagePackValue = [
            "workdir": "/w/b1/src", "command": "make all", "env": [:], "want_stdout": true, "want_stderr": true,
            "usePTY": false, "logEnviron": true,
        ]
        let uploadArgs: MessagePackValue = [
            "path": "/w/b1/build/out.bin", "maxsize": 1000, "blocksize": 65536, "keepstamp": false,
        ]
        let directoryArgs: MessagePackValue = [
            "path": "/w/b1/build/out", "maxsize": nil, "blocksize": 65536, "compress": nil,
        ]
        let downloadArgs: MessagePackValue = [
            "path": "/w/b1/build/in.bin", "maxsize": nil, "blocksize": 65536, "mode": 416,
        ]
        let rmdirArgs: MessagePackValue = ["paths": ["/w/b1/build"]]
        let statArgs: MessagePackValue = ["path": "/w/b1/build/.git"]
        func git(_ arguments: MessagePackValue) -> MessagePackValue {
            [
                "workdir": "/w/b1/build", "command": arguments, "env": [:], "want_stdout": true, "want_stderr": true,
                "usePTY": false, "logEnviron": false, "timeout": 1200,
            ]
        }
        let expected: [(name: String, args: MessagePackValue)] = [
            ("shell", argvArgs), ("shell", textArgs), ("upload_file", uploadArgs),
            ("upload_directory", directoryArgs), ("download_file", downloadArgs), ("rmdir", rmdirArgs),
            ("stat", statArgs), ("shell", git(["git", "fetch", "-f", "-t", "https://example.org/repo.git", "HEAD"])),
            ("shell", git(["git", "checkout", "-f", "FETCH_HEAD"])), ("shell", git(["git", "rev-parse", "HEAD"])),
        ]

        try await withTestDatabase(.sqlite) { db in
            let peer = RecordingPeer()
            let link = WorkerLink(name: "wk1", transport: peer, logger: silentLogger)
            let (runner, job) = try await claimedAssignment(in: db, link: link, steps: steps)
            async let build = runner.run(job)
            var sent: [SentStart] = []
            for index in expected.indices { sent.append(try await peer.play(index, on: link)) }
            _ = try await build

            #expect(peer.starts.count == expected.count)
            for (start, command) in zip(sent, expected) {
                #expect(start.request["command_name"] == .string(command.name))
                #expect(start.request["args"] == command.args, "\(command.name)")
                let id = try #require(start.request["command_id"])
                let frame = WireRequest(
                    op: "start_command", seq: start.request.seq,
                    fields: [
                        .init("builder_name", "b1"), .init("command_id", id),
                        .init("command_name", .string(command.name)), .init("args", command.args),
                    ])
                #expect(start.bytes == WireMessage.request(frame).encoded(), "\(command.name)")
            }
        }
    }
}

/// A `start_command` as the master sent it: its bytes and what they say.
private struct SentStart: Sendable {
    let bytes: [UInt8]
    let request: WireRequest
}

/// The worker's end of the link: keeps every frame the master sends, and ends each command it starts with rc 0.
private final class RecordingPeer: LinkTransport {
    private let frames = Mutex<[[UInt8]]>([])
    private let nextSeq = Mutex(1000)

    func send(_ message: [UInt8]) async throws {
        frames.withLock { $0.append(message) }
    }

    func close() async {}

    /// The `start_command` requests sent so far, in order.
    var starts: [SentStart] {
        frames.withLock { $0 }.compactMap { bytes -> SentStart? in
            guard case .request(let request)? = try? WireMessage(decoding: bytes), request.op == "start_command"
            else { return nil }
            return SentStart(bytes: bytes, request: request)
        }
    }

    /// Waits for command number `index` to start, accepts it and ends it with rc 0; its `start_command`.
    func play(_ index: Int, on link: WorkerLink) async throws -> SentStart {
        _ = await waitUntil { self.starts.count > index }
        let start = try #require(starts.dropFirst(index).first)
        let id = try #require(start.request["command_id"])
        try await link.receive(WireMessage.response(WireResponse(seq: start.request.seq)).encoded())
        try await deliver("update", [.init("args", [["rc", 0]]), .init("command_id", id)], to: link)
        try await deliver("complete", [.init("args", nil), .init("command_id", id)], to: link)
        return start
    }

    private func deliver(_ op: String, _ fields: [MessagePackValue.MapEntry], to link: WorkerLink) async throws {
        let seq = nextSeq.withLock { next in
            next += 1
            return next
        }
        try await link.receive(WireMessage.request(WireRequest(op: op, seq: seq, fields: fields)).encoded())
    }
}
