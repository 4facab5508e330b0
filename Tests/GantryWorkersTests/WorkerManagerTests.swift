import GantryTesting
import GantryWire
import GantryWorkers
import Testing

/// What the delegate was told, in order; it gives every worker id 7.
private actor Recorder: WorkerConnectionDelegate {
    enum Event: Equatable {
        case attached(String)
        case detached(String, Int)
    }

    struct Refused: Error {}

    var events: [Event] = []
    private var refusing = false

    func refuse() { refusing = true }

    func workerAttached(name: String, info: WorkerInfo, link: WorkerLink) async throws -> Int {
        if refusing { throw Refused() }
        events.append(.attached(name))
        return 7
    }

    func workerDetached(name: String, workerID: Int, link: WorkerLink) async throws {
        events.append(.detached(name, workerID))
    }
}

/// The manager serving scripted links: the test answers the attach sequence and ends connections itself.
@Suite("Worker manager", .paced, .timeLimit(.minutes(1)))
struct WorkerManagerTests {
    private let clock = ManualClock()
    private let recorder = Recorder()

    private func makeManager() -> WorkerManager {
        WorkerManager(clock: clock, keepalive: .seconds(60), answerWithin: .seconds(10), logger: silentLogger)
    }

    /// A scripted worker named `name`, attached to `manager` by serving its link and answering its attach sequence.
    private func attach(_ name: String, to manager: WorkerManager) async throws -> (WorkerLink, ScriptedPeer) {
        let peer = ScriptedPeer()
        let link = WorkerLink(name: name, transport: peer, logger: silentLogger)
        let serving = Task { [recorder] in await manager.serve(link, delegate: recorder) }
        try await answerAttach(link, peer)
        await serving.value
        return (link, peer)
    }

    /// Answers the link's attach sequence (`print`, `get_worker_info`, `set_worker_settings`) as a worker would.
    private func answerAttach(_ link: WorkerLink, _ peer: ScriptedPeer) async throws {
        for index in 0..<3 {
            #expect(await waitUntil { peer.requests.count > index })
            try await link.deliver(.response(WireResponse(seq: peer.requests[index].seq)))
        }
    }

    @Test("an attached worker is reported with the delegate's id, and its connection's end once")
    func attachedAndEnded() async throws {
        let manager = makeManager()
        let (link, _) = try await attach("wk1", to: manager)
        #expect(await manager.worker(named: "wk1")?.id == 7)
        #expect(await recorder.events == [.attached("wk1")])
        // The port reports the connection's end.
        await link.lost("the worker disconnected")
        await manager.ended(link, delegate: recorder)
        await manager.ended(link, delegate: recorder)
        #expect(await recorder.events == [.attached("wk1"), .detached("wk1", 7)])
        #expect(await manager.worker(named: "wk1") == nil)
    }

    @Test("each attached worker gets a keepalive once an interval, spread over it; one that does not answer is closed")
    func keepalives() async throws {
        let manager = makeManager()
        let watching = Task { await manager.keepWatching() }
        defer { watching.cancel() }
        var peers: [ScriptedPeer] = []
        var links: [WorkerLink] = []
        for index in 0..<2 {
            let (link, peer) = try await attach("wk\(index)", to: manager)
            peers.append(peer)
            links.append(link)
        }
        func keepalives(_ peer: ScriptedPeer) -> [WireRequest] { peer.requests.filter { $0.op == "keepalive" } }
        let slice = Duration.seconds(60) / WorkerManager.slices
        // The second worker's slice comes first; it answers, and only the keepalives' sleep is left.
        await clock.waitForSleepers(1)
        clock.advance(by: slice)
        #expect(await waitUntil { keepalives(peers[1]).count == 1 })
        #expect(keepalives(peers[0]).isEmpty)
        let sent = try #require(keepalives(peers[1]).first)
        // Its answer's deadline and the next slice wait.
        await clock.waitForSleepers(2)
        try await links[1].deliver(.response(WireResponse(seq: sent.seq)))
        #expect(await waitUntil { clock.sleeperCount == 1 })
        // The first worker's slice is the last of the interval; it does not answer.
        for _ in 2...WorkerManager.slices {
            await clock.waitForSleepers(1)
            clock.advance(by: slice)
        }
        #expect(await waitUntil { keepalives(peers[0]).count == 1 })
        #expect(keepalives(peers[1]).count == 1, "one keepalive an interval")
        await clock.waitForSleepers(2)
        clock.advance(by: .seconds(10))
        #expect(await waitUntil { peers[0].closed }, "unanswered for ten seconds")
        #expect(await waitUntil { keepalives(peers[1]).count == 2 }, "the next interval")
        #expect(!peers[1].closed)
    }

    @Test("a connection that ended gets no more keepalives")
    func noKeepaliveAfterEnd() async throws {
        let manager = makeManager()
        let watching = Task { await manager.keepWatching() }
        defer { watching.cancel() }
        let (link, peer) = try await attach("wk1", to: manager)
        // Its connection ends as far as the port is concerned; the link itself could still send.
        await manager.ended(link, delegate: recorder)
        for _ in 1...WorkerManager.slices {
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(60) / WorkerManager.slices)
        }
        await clock.waitForSleepers(1)
        #expect(!peer.requests.contains { $0.op == "keepalive" })
    }

    @Test("a worker the delegate refuses is closed, and its end is not reported")
    func refused() async throws {
        let manager = makeManager()
        await recorder.refuse()
        let (link, peer) = try await attach("wk1", to: manager)
        await manager.ended(link, delegate: recorder)
        #expect(peer.closed)
        #expect(await recorder.events.isEmpty)
        #expect(await manager.worker(named: "wk1") == nil)
    }

    @Test("a connection that replaced a silent one and failed to attach reports the older one's end")
    func replacedThenFailed() async throws {
        let manager = makeManager()
        let (first, firstPeer) = try await attach("wk1", to: manager)

        let secondPeer = ScriptedPeer()
        let second = WorkerLink(name: "wk1", transport: secondPeer, logger: silentLogger)
        let replacing = Task { [recorder] in await manager.serve(second, delegate: recorder) }
        // The duplicate-connection ping's deadline waits; the ping goes unanswered.
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(10))
        #expect(await waitUntil { firstPeer.closed }, "replaced")
        await second.lost("the worker disconnected")
        await replacing.value
        await manager.ended(second, delegate: recorder)
        #expect(await recorder.events == [.attached("wk1"), .detached("wk1", 7)])

        await first.lost("replaced")
        await manager.ended(first, delegate: recorder)
        #expect(await recorder.events == [.attached("wk1"), .detached("wk1", 7)], "reported once")
        #expect(await manager.worker(named: "wk1") == nil)
    }
}
