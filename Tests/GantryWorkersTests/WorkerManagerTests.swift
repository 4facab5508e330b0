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
        let peer = ScriptedPeer()
        let link = WorkerLink(name: "wk1", transport: peer, logger: silentLogger)
        let serving = Task { [recorder] in await manager.serve(link, delegate: recorder) }
        try await answerAttach(link, peer)
        #expect(await waitUntil { await manager.worker(named: "wk1")?.id == 7 })
        #expect(await recorder.events == [.attached("wk1")])
        // The port cancels the connection's task when the connection ends.
        serving.cancel()
        await serving.value
        #expect(await recorder.events == [.attached("wk1"), .detached("wk1", 7)])
        #expect(await manager.worker(named: "wk1") == nil)
    }

    @Test("a worker the delegate refuses is closed, and its end is not reported")
    func refused() async throws {
        let manager = makeManager()
        await recorder.refuse()
        let peer = ScriptedPeer()
        let link = WorkerLink(name: "wk1", transport: peer, logger: silentLogger)
        let serving = Task { [recorder] in await manager.serve(link, delegate: recorder) }
        try await answerAttach(link, peer)
        await serving.value
        #expect(peer.closed)
        #expect(await recorder.events.isEmpty)
        #expect(await manager.worker(named: "wk1") == nil)
    }

    @Test("a connection that replaced a silent one and failed to attach reports the older one's end")
    func replacedThenFailed() async throws {
        let manager = makeManager()
        let firstPeer = ScriptedPeer()
        let first = WorkerLink(name: "wk1", transport: firstPeer, logger: silentLogger)
        let serving = Task { [recorder] in await manager.serve(first, delegate: recorder) }
        try await answerAttach(first, firstPeer)
        #expect(await waitUntil { await manager.worker(named: "wk1") != nil })

        let secondPeer = ScriptedPeer()
        let second = WorkerLink(name: "wk1", transport: secondPeer, logger: silentLogger)
        let replacing = Task { [recorder] in await manager.serve(second, delegate: recorder) }
        // The first connection's keepalive and the duplicate-connection ping's deadline wait; the ping goes
        // unanswered.
        await clock.waitForSleepers(2)
        clock.advance(by: .seconds(10))
        #expect(await waitUntil { firstPeer.closed }, "replaced")
        await second.lost("the worker disconnected")
        await replacing.value
        #expect(await recorder.events == [.attached("wk1"), .detached("wk1", 7)])

        serving.cancel()
        await serving.value
        #expect(await recorder.events == [.attached("wk1"), .detached("wk1", 7)], "reported once")
        #expect(await manager.worker(named: "wk1") == nil)
    }
}
