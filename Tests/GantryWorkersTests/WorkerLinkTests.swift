import GantryModel
import GantryTesting
import GantryWire
import GantryWorkers
import Testing

@Suite("WorkerLink", .paced, .timeLimit(.minutes(3)))
struct WorkerLinkTests {
    let peer = ScriptedPeer()

    private func link() -> WorkerLink {
        WorkerLink(name: "wk1", transport: peer, logger: silentLogger)
    }

    /// Waits until the link has sent `count` requests.
    private func requestsSent(_ count: Int) async -> [WireRequest] {
        _ = await waitUntil { peer.requests.count >= count }
        return peer.requests
    }

    private func update(_ commandID: String, seq: Int, _ entries: [MessagePackValue]) -> WireMessage {
        .request(
            WireRequest(
                op: "update", seq: seq,
                fields: [.init("args", .array(entries)), .init("command_id", .string(commandID))]))
    }

    private func complete(_ commandID: String, seq: Int, failure: String? = nil) -> WireMessage {
        .request(
            WireRequest(
                op: "complete", seq: seq,
                fields: [
                    .init("args", failure.map(MessagePackValue.string) ?? .nil),
                    .init("command_id", .string(commandID)),
                ]))
    }

    @Test("a quick command's update and complete may arrive before the answer to its start")
    func quickCommand() async throws {
        let link = link()
        let collected = Collected()
        let run = Task {
            try await link.runCommand("shell", args: ["command": "echo hello"]) { await collected.add($0) }
        }
        let start = try #require(await requestsSent(1).first)
        #expect(start.op == "start_command" && start["command_name"] == "shell")
        let id = try #require(start["command_id"]?.stringValue)
        try await link.deliver(
            update(id, seq: 0, [["stdout", ["hello\n", [5], [1.5]]], ["rc", 0], ["elapsed", 0.02]]))
        try await link.deliver(complete(id, seq: 1))
        try await link.deliver(.response(WireResponse(seq: start.seq)))
        let outcome = try await run.value
        #expect(outcome.succeeded && outcome.rc == 0)
        #expect(await collected.items.map(\.key) == ["stdout", "rc", "elapsed"])
        #expect(await collected.items.first?.text == "hello\n")
        #expect(peer.responses == [WireResponse(seq: 0), WireResponse(seq: 1)])
    }

    @Test("command ids are never reused, by another link to the same worker either")
    func uniqueCommandIDs() async throws {
        var seen: Set<String> = []
        for _ in 0..<3 {
            let peer = ScriptedPeer()
            let link = WorkerLink(name: "wk1", transport: peer, logger: silentLogger)
            let run = Task { try await link.runCommand("shell", args: ["command": "true"]) }
            _ = await waitUntil { peer.requests.count >= 1 }
            let id = try #require(peer.requests.first?["command_id"]?.stringValue)
            #expect(seen.insert(id).inserted)
            await link.close("done")
            _ = try? await run.value
        }
    }

    @Test("an abandoned command ends with the reason; what the worker sends for it afterwards is refused")
    func abandoned() async throws {
        let link = link()
        let run = Task { try await link.runCommand("shell", args: ["command": "sleep 30"]) }
        let start = try #require(await requestsSent(1).first)
        try await link.deliver(.response(WireResponse(seq: start.seq)))
        let id = try #require(start["command_id"]?.stringValue)
        await link.abandon(commandID: id, reason: "the worker never reported the command's end")
        let outcome = try await run.value
        #expect(!outcome.succeeded && outcome.failure == "the worker never reported the command's end")
        try await link.deliver(complete(id, seq: 0))
        #expect(peer.responses == [WireResponse(seq: 0, result: #"unknown "command_id""#, isException: true)])
    }

    @Test("a worker's info as stored and served shows no secret-looking variable of its environment")
    func environFiltered() {
        let info = WorkerInfo([
            "environ": [
                "PATH": "/bin", "GANTRY_SECRET_deploy": "s1", "DB_PASSWORD": "s2", "github_token": "s3",
                "AWS_SECRET_ACCESS_KEY": "s4", "LANG": "C.UTF-8",
            ],
            "basedir": "/w",
        ])
        #expect(info.json["environ"] == .object(["PATH": "/bin", "LANG": "C.UTF-8"]))
        #expect(info.json["basedir"] == "/w")
    }

    @Test("answers are matched by sequence number, in any order; an exception answer throws its text")
    func anyOrder() async throws {
        let link = link()
        let first = Task { try await link.request("print", [.init("message", "one")]) }
        _ = await requestsSent(1)
        let second = Task { try await link.request("get_worker_info") }
        let sent = await requestsSent(2)
        #expect(sent.map(\.seq) == [0, 1])
        try await link.deliver(.response(WireResponse(seq: 1, result: ["basedir": "/w"])))
        try await link.deliver(.response(WireResponse(seq: 0, result: "no", isException: true)))
        #expect(try await second.value["basedir"] == "/w")
        await #expect(throws: WorkerLinkError.remote("no")) { try await first.value }
        // An answer to nothing outstanding is ignored.
        try await link.deliver(.response(WireResponse(seq: 7)))
    }

    @Test("a command the worker refuses to start fails with its reason and takes no updates")
    func refusedStart() async throws {
        let link = link()
        let run = Task { try await link.runCommand("bogus", args: [:]) }
        let start = try #require(await requestsSent(1).first)
        try await link.deliver(
            .response(WireResponse(seq: start.seq, result: "unrecognized WorkerCommand 'bogus'", isException: true)))
        await #expect(throws: WorkerLinkError.remote("unrecognized WorkerCommand 'bogus'")) { try await run.value }
        try await link.deliver(update(try #require(start["command_id"]?.stringValue), seq: 0, [["rc", 0]]))
        #expect(peer.responses == [WireResponse(seq: 0, result: #"unknown "command_id""#, isException: true)])
    }

    @Test("a complete with text is the command raising inside the worker")
    func failedComplete() async throws {
        let link = link()
        let run = Task { try await link.runCommand("upload_file", args: [:]) }
        let start = try #require(await requestsSent(1).first)
        try await link.deliver(.response(WireResponse(seq: start.seq)))
        try await link.deliver(
            complete(try #require(start["command_id"]?.stringValue), seq: 0, failure: "Traceback: boom"))
        let outcome = try await run.value
        #expect(!outcome.succeeded && outcome.failure == "Traceback: boom" && outcome.rc == nil)
    }

    @Test("an unknown op or a malformed message is a protocol violation; missing keys are answered")
    func violations() async throws {
        let link = link()
        await #expect(throws: WorkerLinkError.protocolViolation("the worker sent unknown op 'keepalive'")) {
            try await link.deliver(.request(WireRequest(op: "keepalive", seq: 0)))
        }
        await #expect(
            throws: WorkerLinkError.protocolViolation("malformed message: invalid MessagePack format byte 0xc1")
        ) {
            try await link.receive([0xc1])
        }
        try await link.deliver(.request(WireRequest(op: "update", seq: 1)))
        #expect(
            peer.responses == [
                WireResponse(seq: 1, result: #"message did not contain obligatory "command_id" key"#, isException: true)
            ])
    }

    @Test("losing the connection fails the running command and every outstanding request with the reason")
    func lost() async throws {
        let link = link()
        let run = Task { try await link.runCommand("shell", args: ["command": "sleep 30"]) }
        let start = try #require(await requestsSent(1).first)
        try await link.deliver(.response(WireResponse(seq: start.seq)))
        let ping = Task { try await link.request("print", [.init("message", "ping")]) }
        _ = await requestsSent(2)
        await link.lost("the worker disconnected")
        await #expect(throws: WorkerLinkError.connectionLost("the worker disconnected")) { try await run.value }
        await #expect(throws: WorkerLinkError.connectionLost("the worker disconnected")) { try await ping.value }
        await #expect(throws: WorkerLinkError.connectionLost("the worker disconnected")) {
            try await link.request("keepalive")
        }
    }
}

/// Updates collected in order.
actor Collected {
    var items: [RemoteUpdate] = []

    func add(_ update: RemoteUpdate) { items.append(update) }
}
