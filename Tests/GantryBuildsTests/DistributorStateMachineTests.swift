import Foundation
import GantryBuilds
import GantryModel
import GantryStorage
import GantryTesting
import GantryWire
import GantryWorkers
import Testing

/// A connection as the machine sees it: an identity, nothing more.
private final class Link: Sendable {}

private typealias Machine = DistributorStateMachine<Link>

private let info = WorkerInfo(.nil)

private func request(_ id: Int, builder: Int = 1) -> BuildRequest {
    BuildRequest(id: id, buildsetID: id, builderID: builder, submittedAt: Date(timeIntervalSince1970: Double(id)))
}

/// A machine whose workers are all attached (ids from 1, in name order) and shown connected, not paused, by the
/// last read of the database. A class, so expectations may call what changes it.
private final class Fixture {
    var machine = Machine()
    var links: [String: Link] = [:]

    init(builders: [Int: [String]] = [1: ["wk1"]], maxBuilds: [String: Int] = [:]) {
        _ = machine.configured(builders: builders, maxBuilds: maxBuilds)
        let names = Set(builders.values.flatMap { $0 }).sorted()
        for (index, name) in names.enumerated() {
            let link = Link()
            links[name] = link
            _ = machine.workerAttached(name, id: index + 1, link: link, info: info)
        }
        _ = machine.controlsRead(Dictionary(uniqueKeysWithValues: names.map { ($0, WorkerControl()) }))
    }

    /// Worker `name`'s connection as a claim names it.
    func worker(_ name: String) -> Machine.Attached {
        guard let attached = machine.attached(name) else { fatalError("\(name) is not attached") }
        return attached
    }

    /// Claims what the machine asks for, each claim holding, and returns the claims in order.
    func claimAll(_ requests: [BuildRequest]) -> [Claim] {
        var claims: [Claim] = []
        var actions = machine.pendingRead(requests)
        while case .claim(let request, let worker)? = actions.first {
            claims.append(Claim(request: request.id, worker: worker.name))
            actions = machine.claimed(request.id, by: worker.name)
        }
        return claims
    }

    /// One request claimed for one worker.
    struct Claim: Equatable {
        var request: Int
        var worker: String
    }
}

@Suite("The distributor's state machine", .paced)
struct DistributorStateMachineTests {
    fileprivate typealias Claim = Fixture.Claim

    @Test("a request goes to the first eligible worker in its builder's order; a full one is passed over")
    func builderOrder() {
        let fixture = Fixture(builders: [1: ["wk2", "wk1"]])
        let first = fixture.machine.pendingRead([request(1), request(2), request(3)])
        #expect(first == [.claim(request(1), on: fixture.worker("wk2"))])
        let second = fixture.machine.claimed(1, by: "wk2")
        #expect(second == [.claim(request(2), on: fixture.worker("wk1"))])
        let rest = fixture.machine.claimed(2, by: "wk1")
        #expect(rest.isEmpty, "both workers run their one build; request 3 waits")
        #expect(fixture.machine.snapshot()["wk2"]?.busyRequestIDs == [1])
        #expect(fixture.machine.snapshot()["wk1"]?.busyRequestIDs == [2])
    }

    @Test("requests of a builder not served here, or whose workers are all busy, are skipped for later ones")
    func skipped() {
        let fixture = Fixture(builders: [1: ["wk1"], 2: ["wk2"]])
        #expect(fixture.claimAll([request(1)]) == [Claim(request: 1, worker: "wk1")])
        let claims = fixture.claimAll([request(2), request(3, builder: 9), request(4, builder: 2)])
        #expect(claims == [Claim(request: 4, worker: "wk2")])
    }

    @Test("maxBuilds: a worker runs up to its maxBuilds at once, an unlisted one a single build")
    func maxBuilds() {
        let fixture = Fixture(builders: [1: ["wk1"], 2: ["wk2"]], maxBuilds: ["wk1": 2])
        let claims = fixture.claimAll([
            request(1), request(2), request(3), request(4, builder: 2), request(5, builder: 2),
        ])
        #expect(
            claims == [
                Claim(request: 1, worker: "wk1"), Claim(request: 2, worker: "wk1"), Claim(request: 4, worker: "wk2"),
            ])
        #expect(fixture.machine.snapshot()["wk1"]?.maxBuilds == 2)
        #expect(fixture.machine.snapshot()["wk2"]?.maxBuilds == 1)
        let finished = fixture.machine.buildFinished(1, results: .success)
        #expect(finished == [.wakeUp])
        #expect(fixture.claimAll([request(3)]) == [Claim(request: 3, worker: "wk1")])
    }

    @Test("openings: each builder's free slots on its eligible workers; builders that can start none are left out")
    func openings() {
        let fixture = Fixture(
            builders: [1: ["wk1", "wk2"], 2: ["wk2"], 3: ["wk3"], 4: ["wk4"]], maxBuilds: ["wk1": 3])
        #expect(fixture.machine.openings == [1: 4, 2: 1, 3: 1, 4: 1])
        _ = fixture.claimAll([request(1), request(2, builder: 2), request(3, builder: 3)])
        _ = fixture.machine.controlsRead([
            "wk1": WorkerControl(), "wk2": WorkerControl(), "wk3": WorkerControl(),
            "wk4": WorkerControl(paused: true),
        ])
        #expect(fixture.machine.openings == [1: 2], "wk2 and wk3 are busy, wk4 is paused, wk1 has two slots left")
        _ = fixture.machine.buildFinished(3, results: .exception)
        #expect(fixture.machine.openings == [1: 2], "wk3 is in quarantine")
        _ = fixture.machine.buildFinished(2, results: .success)
        #expect(fixture.machine.openings == [1: 3, 2: 1])
    }

    @Test("openings: at most a round's limit per builder, a worker listed twice counted once")
    func openingsLimit() {
        let names = (1...150).map { "wk\($0)" }
        let fixture = Fixture(builders: [1: names, 2: ["wk1", "wk1", "wk2"]])
        #expect(fixture.machine.openings == [1: Machine.roundLimit, 2: 2])
    }

    @Test("a claim lost to another master is skipped: the worker goes to the next request")
    func claimLost() {
        let fixture = Fixture()
        let first = fixture.machine.pendingRead([request(1), request(2)])
        #expect(first == [.claim(request(1), on: fixture.worker("wk1"))])
        let next = fixture.machine.claimLost(1)
        #expect(next == [.claim(request(2), on: fixture.worker("wk1"))])
        let done = fixture.machine.claimed(2, by: "wk1")
        #expect(done.isEmpty)
        #expect(fixture.machine.snapshot()["wk1"]?.busyRequestIDs == [2])
        let stale = fixture.machine.claimLost(1)
        #expect(stale.isEmpty, "no claim in flight: nothing follows")
    }

    @Test("a worker the last read did not show connected here takes no build, however attached")
    func notReadConnected() {
        let fixture = Fixture()
        let read = fixture.machine.controlsRead([:])
        #expect(read.isEmpty)
        #expect(fixture.claimAll([request(1)]).isEmpty)
        _ = fixture.machine.controlsRead(["wk1": WorkerControl()])
        #expect(fixture.claimAll([request(1)]) == [Claim(request: 1, worker: "wk1")])
    }

    @Test("a paused worker takes no build until it is unpaused")
    func paused() {
        let fixture = Fixture()
        let pausing = fixture.machine.controlsRead(["wk1": WorkerControl(paused: true)])
        #expect(pausing.isEmpty)
        #expect(fixture.claimAll([request(1)]).isEmpty)
        #expect(fixture.machine.snapshot()["wk1"]?.paused == true)
        let unpausing = fixture.machine.controlsRead(["wk1": WorkerControl()])
        #expect(unpausing.isEmpty, "not in quarantine: nothing to end")
        #expect(fixture.claimAll([request(1)]) == [Claim(request: 1, worker: "wk1")])
    }

    @Test("graceful: an idle worker is shut down at once, once; it takes no build")
    func gracefulIdle() {
        let fixture = Fixture()
        let read = fixture.machine.controlsRead(["wk1": WorkerControl(graceful: true)])
        #expect(read == [.shutDown(worker: "wk1", reason: "graceful shutdown")])
        let again = fixture.machine.controlsRead(["wk1": WorkerControl(graceful: true)])
        #expect(again.isEmpty, "the same connection is not shut down twice")
        #expect(fixture.claimAll([request(1)]).isEmpty)
    }

    @Test("graceful: a busy worker finishes its builds, takes no new one, then is shut down")
    func gracefulBusy() {
        let fixture = Fixture(maxBuilds: ["wk1": 2])
        #expect(fixture.claimAll([request(1)]) == [Claim(request: 1, worker: "wk1")])
        let read = fixture.machine.controlsRead(["wk1": WorkerControl(graceful: true)])
        #expect(read.isEmpty, "it runs a build")
        #expect(fixture.claimAll([request(2)]).isEmpty, "below maxBuilds, still no new build")
        #expect(fixture.machine.snapshot()["wk1"]?.graceful == true)
        let finished = fixture.machine.buildFinished(1, results: .success)
        #expect(finished == [.shutDown(worker: "wk1", reason: "graceful shutdown"), .wakeUp], "as its last build ends")
        let idle = fixture.machine.controlsRead(["wk1": WorkerControl(graceful: true)])
        #expect(idle.isEmpty, "once per connection")
    }

    @Test("kill: shut down at once even while building, the request cleared; once per connection")
    func kill() {
        let fixture = Fixture()
        #expect(fixture.claimAll([request(1)]) == [Claim(request: 1, worker: "wk1")])
        let read = fixture.machine.controlsRead(["wk1": WorkerControl(killRequested: true)])
        #expect(read == [.shutDown(worker: "wk1", reason: "killed by request"), .clearKillRequest(workerID: 1)])
        let again = fixture.machine.controlsRead(["wk1": WorkerControl(killRequested: true)])
        #expect(again.isEmpty, "the connection already shut down is left to end")
        _ = fixture.machine.buildFinished(1, results: .retry)
        _ = fixture.machine.controlsRead(["wk1": WorkerControl()])
        #expect(fixture.claimAll([request(2)]).isEmpty, "the connection shut down takes no build")
    }

    @Test("kill: a worker that reconnected, with no read in between, is shut down again on its new connection")
    func killAfterReconnect() {
        let fixture = Fixture()
        let killed = fixture.machine.controlsRead(["wk1": WorkerControl(killRequested: true)])
        #expect(killed.count == 2)
        let old = fixture.links["wk1"]!
        let detached = fixture.machine.workerDetached("wk1", link: old)
        #expect(detached.isEmpty)
        let again = Link()
        let attached = fixture.machine.workerAttached("wk1", id: 1, link: again, info: info)
        #expect(attached == [.wakeUp])
        #expect(fixture.machine.snapshot()["wk1"]?.graceful == false)
        let read = fixture.machine.controlsRead(["wk1": WorkerControl(killRequested: true)])
        #expect(read == [.shutDown(worker: "wk1", reason: "killed by request"), .clearKillRequest(workerID: 1)])
    }

    @Test("a worker the read no longer shows connected forgets the connection it was shut down on")
    func shutDownForgotten() {
        let fixture = Fixture()
        _ = fixture.machine.controlsRead(["wk1": WorkerControl(graceful: true)])
        _ = fixture.machine.controlsRead([:])
        let read = fixture.machine.controlsRead(["wk1": WorkerControl(graceful: true)])
        #expect(read == [.shutDown(worker: "wk1", reason: "graceful shutdown")])
    }

    @Test("quarantine: 10 s after an EXCEPTION, doubling with each further one up to an hour")
    func quarantineDoubling() {
        let fixture = Fixture()
        var lengths: [Duration] = []
        for id in 1...11 {
            #expect(fixture.claimAll([request(id)]) == [Claim(request: id, worker: "wk1")])
            let finished = fixture.machine.buildFinished(id, results: .exception)
            guard case .startQuarantineTimer(let worker, let length)? = finished.first else {
                Issue.record("no quarantine: \(finished)")
                return
            }
            #expect(worker == "wk1" && finished.last == .wakeUp && finished.count == 2)
            lengths.append(length)
            #expect(fixture.claimAll([request(100)]).isEmpty, "in quarantine")
            #expect(fixture.machine.snapshot()["wk1"]?.quarantined == true)
            let ended = fixture.machine.quarantineEnded("wk1")
            #expect(ended == [.wakeUp])
        }
        #expect(lengths == [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600].map { Duration.seconds($0) })
        let late = fixture.machine.quarantineEnded("wk1")
        #expect(late.isEmpty, "not in quarantine")
    }

    @Test("quarantine: RETRY and a build that did not run keep the next length; any other result resets it")
    func quarantineReset() {
        let fixture = Fixture()
        func exception(_ id: Int) -> Duration? {
            _ = fixture.claimAll([request(id)])
            let finished = fixture.machine.buildFinished(id, results: .exception)
            _ = fixture.machine.quarantineEnded("wk1")
            guard case .startQuarantineTimer(_, let length)? = finished.first else { return nil }
            return length
        }
        func finish(_ id: Int, _ results: BuildResult?) {
            _ = fixture.claimAll([request(id)])
            _ = fixture.machine.buildFinished(id, results: results)
        }
        #expect(exception(1) == .seconds(10))
        finish(2, .retry)
        finish(3, nil)
        #expect(exception(4) == .seconds(20))
        for (offset, results) in [BuildResult.success, .warnings, .failure, .skipped, .cancelled].enumerated() {
            finish(10 + offset * 2, results)
            #expect(exception(11 + offset * 2) == .seconds(10), "\(results) resets it")
        }
    }

    @Test("quarantine: a second EXCEPTION while in quarantine replaces its timer")
    func quarantineReplaced() {
        let fixture = Fixture(maxBuilds: ["wk1": 2])
        #expect(fixture.claimAll([request(1), request(2)]).count == 2)
        let first = fixture.machine.buildFinished(1, results: .exception)
        #expect(first == [.startQuarantineTimer(worker: "wk1", length: .seconds(10)), .wakeUp])
        let second = fixture.machine.buildFinished(2, results: .exception)
        #expect(
            second == [
                .cancelQuarantineTimer(worker: "wk1"), .startQuarantineTimer(worker: "wk1", length: .seconds(20)),
                .wakeUp,
            ])
    }

    @Test("quarantine: unpausing ends it and resets its length")
    func unpauseEndsQuarantine() {
        let fixture = Fixture()
        _ = fixture.claimAll([request(1)])
        _ = fixture.machine.buildFinished(1, results: .exception)
        _ = fixture.claimAll([request(2)])
        #expect(fixture.machine.snapshot()["wk1"]?.quarantined == true)
        let pausing = fixture.machine.controlsRead(["wk1": WorkerControl(paused: true)])
        #expect(pausing.isEmpty)
        let unpausing = fixture.machine.controlsRead(["wk1": WorkerControl()])
        #expect(unpausing == [.cancelQuarantineTimer(worker: "wk1"), .wakeUp])
        #expect(fixture.machine.snapshot()["wk1"]?.quarantined == false)
        #expect(fixture.claimAll([request(2)]) == [Claim(request: 2, worker: "wk1")])
        let finished = fixture.machine.buildFinished(2, results: .exception)
        #expect(finished.first == .startQuarantineTimer(worker: "wk1", length: .seconds(10)), "the length was reset")
    }

    @Test("a detached worker takes no build; its builds still count when it reattaches")
    func detachWhileBusy() {
        let fixture = Fixture()
        #expect(fixture.claimAll([request(1)]) == [Claim(request: 1, worker: "wk1")])
        let old = fixture.links["wk1"]!
        _ = fixture.machine.workerDetached("wk1", link: old)
        let gone = fixture.machine.snapshot()["wk1"]
        #expect(gone?.connected == false && gone?.busyRequestIDs == [1])
        #expect(fixture.claimAll([request(2)]).isEmpty)
        let again = Link()
        _ = fixture.machine.workerAttached("wk1", id: 1, link: again, info: info)
        #expect(fixture.claimAll([request(2)]).isEmpty, "the build on the old connection still runs")
        _ = fixture.machine.buildFinished(1, results: .retry)
        let actions = fixture.machine.pendingRead([request(2)])
        #expect(actions == [.claim(request(2), on: Machine.Attached(name: "wk1", id: 1, link: again, info: info))])
    }

    @Test("maxUses: a worker that reconnects keeps its instance's count; only a new instance starts afresh")
    func usesSurviveReconnects() {
        let fixture = Fixture()
        _ = fixture.machine.configured(builders: [1: ["wk1"]], maxBuilds: [:], maxUses: ["wk1": 1])
        #expect(fixture.claimAll([request(1)]) == [Claim(request: 1, worker: "wk1")])
        _ = fixture.machine.workerDetached("wk1", link: fixture.links["wk1"]!)
        _ = fixture.machine.buildFinished(1, results: .retry)
        let again = Link()
        _ = fixture.machine.workerAttached("wk1", id: 1, link: again, info: info)
        #expect(fixture.claimAll([request(2)]).isEmpty, "its connection was cut, its instance used up")
        #expect(fixture.machine.snapshot()["wk1"]?.usedUp == true)

        _ = fixture.machine.workerDetached("wk1", link: again)
        fixture.machine.instanceStarting("wk1")
        _ = fixture.machine.workerAttached("wk1", id: 1, link: Link(), info: info)
        #expect(fixture.claimAll([request(2)]) == [Claim(request: 2, worker: "wk1")], "a new instance")
    }

    @Test("the end of a connection another one replaced leaves the newer one attached")
    func staleDetach() {
        let fixture = Fixture()
        let old = fixture.links["wk1"]!
        let newer = Link()
        _ = fixture.machine.workerAttached("wk1", id: 1, link: newer, info: info)
        let detached = fixture.machine.workerDetached("wk1", link: old)
        #expect(detached.isEmpty)
        #expect(fixture.machine.attached("wk1")?.link === newer)
        #expect(fixture.machine.attachedWorkers.map(\.name) == ["wk1"])
    }

    @Test("a reload takes a worker off a builder; the registry shows configured workers never connected")
    func reconfigured() {
        let fixture = Fixture(builders: [1: ["wk1", "wk2"]])
        let reload = fixture.machine.configured(builders: [1: ["wk2"], 2: ["wk3"]], maxBuilds: ["wk3": 4])
        #expect(reload == [.wakeUp])
        #expect(fixture.claimAll([request(1)]) == [Claim(request: 1, worker: "wk2")])
        let snapshot = fixture.machine.snapshot()
        #expect(snapshot["wk3"] == WorkerSnapshot(name: "wk3", maxBuilds: 4), "configured, never connected")
        #expect(snapshot["wk2"] == WorkerSnapshot(name: "wk2", id: 2, connected: true, busyRequestIDs: [1]))
        #expect(snapshot["wk1"]?.connected == true, "still connected, on no builder")
    }

    @Test("a worker that attaches wakes the distributor; one that leaves and is not shown connected is forgotten")
    func attachAndForget() {
        var machine = Machine()
        _ = machine.configured(builders: [:], maxBuilds: [:])
        let link = Link()
        let attached = machine.workerAttached("wk9", id: 9, link: link, info: info)
        #expect(attached == [.wakeUp])
        #expect(machine.snapshot()["wk9"]?.connected == true)
        _ = machine.workerDetached("wk9", link: link)
        #expect(machine.snapshot()["wk9"] == nil)
    }

    @Test("a claim settled for a request not in flight leaves the round as it was; one that held counts all the same")
    func settledNotInFlight() {
        let fixture = Fixture(maxBuilds: ["wk1": 3])
        let first = fixture.machine.pendingRead([request(1), request(2)])
        #expect(first == [.claim(request(1), on: fixture.worker("wk1"))])
        let before = fixture.machine.snapshot()
        let lost = fixture.machine.claimLost(7)
        #expect(lost.isEmpty, "request 1 is still in flight")
        #expect(fixture.machine.snapshot() == before, "nothing changes")
        let held = fixture.machine.claimed(8, by: "wk1")
        #expect(held.isEmpty, "request 1 is still in flight")
        #expect(fixture.machine.snapshot()["wk1"]?.busyRequestIDs == [8], "its build runs on the worker")
        let next = fixture.machine.claimed(1, by: "wk1")
        #expect(next == [.claim(request(2), on: fixture.worker("wk1"))], "the round goes on from request 1")
        let done = fixture.machine.claimed(2, by: "wk1")
        #expect(done.isEmpty)
        #expect(fixture.machine.snapshot()["wk1"]?.busyRequestIDs == [1, 2, 8])
        #expect(fixture.claimAll([request(3)]).isEmpty, "the three builds fill its maxBuilds")
    }

    @Test("with no claim in flight, a claim's outcome starts nothing; a lost one changes nothing, a held one counts")
    func settledWhileWaiting() {
        let fixture = Fixture()
        let before = fixture.machine.snapshot()
        let lost = fixture.machine.claimLost(1)
        #expect(lost.isEmpty)
        #expect(fixture.machine.snapshot() == before, "nothing changes")
        let held = fixture.machine.claimed(1, by: "wk1")
        #expect(held.isEmpty, "no round goes on")
        #expect(fixture.machine.snapshot()["wk1"]?.busyRequestIDs == [1])
        let unknown = fixture.machine.claimed(5, by: "wk9")
        #expect(unknown.isEmpty)
        #expect(fixture.machine.snapshot()["wk9"] == WorkerSnapshot(name: "wk9", busyRequestIDs: [5]))
        let full = fixture.machine.pendingRead([request(2)])
        #expect(full.isEmpty, "wk1 runs its one build")
        let finished = fixture.machine.buildFinished(1, results: .success)
        #expect(finished == [.wakeUp])
        #expect(fixture.claimAll([request(2)]) == [Claim(request: 2, worker: "wk1")])
    }

    @Test("a reload during a round leaves the claim in flight; the rest of the round follows the new configuration")
    func reconfiguredDuringRound() {
        let fixture = Fixture(builders: [1: ["wk1", "wk2"]], maxBuilds: ["wk1": 2])
        let first = fixture.machine.pendingRead([request(1), request(2), request(3)])
        #expect(first == [.claim(request(1), on: fixture.worker("wk1"))])
        let reload = fixture.machine.configured(builders: [1: ["wk2"]], maxBuilds: ["wk2": 2])
        #expect(reload == [.wakeUp])
        let stale = fixture.machine.claimLost(2)
        #expect(stale.isEmpty, "request 1 is still the one in flight")
        let second = fixture.machine.claimed(1, by: "wk1")
        #expect(second == [.claim(request(2), on: fixture.worker("wk2"))], "wk1 is no longer on the builder")
        let third = fixture.machine.claimed(2, by: "wk2")
        #expect(third == [.claim(request(3), on: fixture.worker("wk2"))], "wk2 now runs two builds")
        let done = fixture.machine.claimed(3, by: "wk2")
        #expect(done.isEmpty)
        let snapshot = fixture.machine.snapshot()
        #expect(snapshot["wk1"] == WorkerSnapshot(name: "wk1", id: 1, connected: true, busyRequestIDs: [1]))
        let wk2 = WorkerSnapshot(name: "wk2", id: 2, connected: true, busyRequestIDs: [2, 3], maxBuilds: 2)
        #expect(snapshot["wk2"] == wk2)
    }

    @Test("a reload leaving the rest of a round no eligible worker ends the round as the claim in flight settles")
    func reconfiguredAwayDuringRound() {
        let fixture = Fixture(maxBuilds: ["wk1": 2])
        let first = fixture.machine.pendingRead([request(1), request(2)])
        #expect(first == [.claim(request(1), on: fixture.worker("wk1"))])
        let reload = fixture.machine.configured(builders: [:], maxBuilds: ["wk1": 2])
        #expect(reload == [.wakeUp])
        let settled = fixture.machine.claimLost(1)
        #expect(settled.isEmpty, "builder 1 has no worker any more")
        #expect(fixture.machine.snapshot()["wk1"]?.isBusy == false)
        let back = fixture.machine.configured(builders: [1: ["wk1"]], maxBuilds: ["wk1": 2])
        #expect(back == [.wakeUp])
        let again = fixture.machine.claimLost(1)
        #expect(again.isEmpty, "the round is over: request 2 waits for the next read")
        #expect(fixture.claimAll([request(2)]) == [Claim(request: 2, worker: "wk1")])
    }
    @Test("a claim that collapsed requests: the worker runs the newest; the round skips those claimed with it")
    func collapsed() {
        let fixture = Fixture(maxBuilds: ["wk1": 3])
        let first = fixture.machine.pendingRead([request(1), request(2), request(3), request(4)])
        #expect(first == [.claim(request(1), on: fixture.worker("wk1"))])
        let next = fixture.machine.claimed(1, by: "wk1", building: 3, merged: [1, 2])
        #expect(next == [.claim(request(4), on: fixture.worker("wk1"))], "2 and 3 were claimed with 1")
        #expect(fixture.machine.snapshot()["wk1"]?.busyRequestIDs == [3])
        let finished = fixture.machine.buildFinished(3, results: .success)
        #expect(finished == [.wakeUp])
        #expect(fixture.machine.snapshot()["wk1"]?.busyRequestIDs == [])
    }
}
