import GantryCluster
import GantryModel
import GantryTesting
import Testing

/// The claim machine driven directly: no database, clock or task.
@Suite("ClaimStateMachine", .paced)
struct ClaimStateMachineTests {
    typealias State = ClaimStateMachine.State
    typealias Polling = ClaimStateMachine.Polling
    typealias Pending = ClaimStateMachine.Pending
    typealias Activity = ClaimStateMachine.Activity

    let fence = ClaimFence(kind: .scheduler, serviceID: 7, masterID: 1, epoch: 3)
    /// Polling after the first poll: the id is known, and the timer of generation 2 is the one that counts.
    let polled = Polling(serviceID: 7, generation: 2, started: true)

    /// A machine holding `fence` after the first poll, doing `activity`, with `pending` waiting.
    private func active(_ activity: Activity = .running, _ pending: Pending = Pending()) -> ClaimStateMachine {
        ClaimStateMachine(.active(fence, polled, activity, pending))
    }

    /// A machine claiming the service (its id known) after the first poll, with `pending` waiting.
    private func claiming(_ pending: Pending = Pending()) -> ClaimStateMachine {
        ClaimStateMachine(.claiming(polled, pending))
    }

    // MARK: - Polling

    @Test("the first poll happens at once: the id is looked up, then the service claimed")
    func firstPoll() {
        var machine = ClaimStateMachine()
        #expect(machine.state == .initial)
        #expect(machine.start() == [.lookUpServiceID])
        #expect(machine.state == .claiming(Polling(), Pending()))
        #expect(machine.serviceIDFound(7) == [.claim(serviceID: 7)])
        #expect(machine.state == .claiming(Polling(serviceID: 7), Pending()))
        #expect(machine.fence == nil)
    }

    @Test("an unclaimable service is started after its first poll, then polls once per timer, looking its id up once")
    func pollsWhileUnclaimable() {
        var machine = ClaimStateMachine(.claiming(Polling(serviceID: 7), Pending()))
        #expect(machine.claimRefused() == [.markStarted, .schedulePoll(generation: 1)])
        #expect(machine.state == .inactive(Polling(serviceID: 7, generation: 1, started: true)))
        #expect(machine.pollTimerFired(generation: 1) == [.claim(serviceID: 7)])
        #expect(machine.claimRefused() == [.schedulePoll(generation: 2)])
        #expect(machine.state == .inactive(polled))
    }

    @Test("a stale poll timer is ignored; the current one polls")
    func staleTimer() {
        var machine = ClaimStateMachine(.inactive(polled))
        #expect(machine.pollTimerFired(generation: 1) == [])
        #expect(machine.state == .inactive(polled))
        #expect(machine.pollTimerFired(generation: 2) == [.claim(serviceID: 7)])
    }

    @Test("a poll timer does nothing unless the service is inactive")
    func timerWhileBusy() {
        let states: [State] = [
            .initial,
            .claiming(polled, Pending()),
            .active(fence, polled, .running, Pending()),
            .active(fence, polled, .checking(answering: 1), Pending()),
            .deactivating(fence, polled, .lostClaim, Pending()),
            .releasing(fence),
            .stopped,
        ]
        for state in states {
            var machine = ClaimStateMachine(state)
            #expect(machine.pollTimerFired(generation: 2) == [])
            #expect(machine.state == state)
        }
    }

    @Test("a failed look-up ends the poll; the next poll looks the id up again")
    func lookUpFails() {
        var machine = ClaimStateMachine()
        _ = machine.start()
        #expect(machine.lookUpFailed() == [.markStarted, .schedulePoll(generation: 1)])
        #expect(machine.state == .inactive(Polling(generation: 1, started: true)))
        #expect(machine.pollTimerFired(generation: 1) == [.lookUpServiceID])
    }

    @Test("a claim error leaves the service inactive; the next poll retries and may win")
    func claimFailsThenRetries() {
        var machine = claiming()
        #expect(machine.claimFailed() == [.schedulePoll(generation: 3)])
        #expect(machine.state == .inactive(Polling(serviceID: 7, generation: 3, started: true)))
        #expect(machine.fence == nil)
        #expect(machine.pollTimerFired(generation: 3) == [.claim(serviceID: 7)])
        #expect(machine.claimed(fence) == [.activate(fence)])
        #expect(machine.fence == fence)
    }

    @Test("poll-now while inactive polls at once; the timer pending then goes stale")
    func pollNowWhileInactive() {
        var machine = ClaimStateMachine(.inactive(polled))
        #expect(machine.pollNowRequested() == [.claim(serviceID: 7)])
        #expect(machine.pollTimerFired(generation: 2) == [], "a poll is in flight")
        #expect(machine.claimRefused() == [.schedulePoll(generation: 3)])
        #expect(machine.pollTimerFired(generation: 2) == [])
        #expect(machine.pollTimerFired(generation: 3) == [.claim(serviceID: 7)])
    }

    @Test("poll-now does nothing while the claim is held, releasing, stopped, or before the first poll")
    func pollNowIgnored() {
        let states: [State] = [
            .initial,
            .active(fence, polled, .activating, Pending()),
            .active(fence, polled, .running, Pending()),
            .active(fence, polled, .checking(answering: 1), Pending()),
            .releasing(fence),
            .stopped,
        ]
        for state in states {
            var machine = ClaimStateMachine(state)
            #expect(machine.pollNowRequested() == [])
            #expect(machine.state == state)
        }
    }

    @Test("poll-now during a claim step polls again at once when the claim is refused")
    func pollNowWhileClaiming() {
        var machine = claiming()
        #expect(machine.pollNowRequested() == [])
        #expect(machine.state == .claiming(polled, Pending(pollNow: true)))
        #expect(machine.claimRefused() == [.claim(serviceID: 7)])
        #expect(machine.state == .claiming(polled, Pending()))
        #expect(machine.claimRefused() == [.schedulePoll(generation: 3)])
    }

    @Test("the first poll, refused after a poll-now, marks the service started and polls again")
    func pollNowDuringFirstPoll() {
        var machine = ClaimStateMachine(.claiming(Polling(serviceID: 7), Pending(pollNow: true)))
        #expect(machine.claimRefused() == [.markStarted, .claim(serviceID: 7)])
        #expect(machine.state == .claiming(Polling(serviceID: 7, started: true), Pending()))
    }

    @Test("poll-now during a look-up is served by the claim that follows it")
    func pollNowWhileLookingUp() {
        var machine = ClaimStateMachine(.claiming(Polling(), Pending()))
        #expect(machine.pollNowRequested() == [])
        #expect(machine.serviceIDFound(7) == [.claim(serviceID: 7)])
        #expect(machine.claimRefused() == [.markStarted, .schedulePoll(generation: 1)])
    }

    @Test("poll-now during a claim that is won is forgotten")
    func pollNowThenClaimed() {
        var machine = claiming(Pending(pollNow: true))
        #expect(machine.claimed(fence) == [.activate(fence)])
        #expect(machine.state == .active(fence, polled, .activating, Pending()))
    }

    // MARK: - Activation

    @Test("a won claim activates; once activated the service is started, and polls no more")
    func activates() {
        var machine = ClaimStateMachine(.claiming(Polling(serviceID: 7), Pending()))
        #expect(machine.claimed(fence) == [.activate(fence)])
        #expect(machine.state == .active(fence, Polling(serviceID: 7), .activating, Pending()))
        #expect(machine.fence == fence)
        #expect(machine.activated() == [.markStarted])
        #expect(machine.state == .active(fence, Polling(serviceID: 7, started: true), .running, Pending()))
        #expect(machine.pollTimerFired(generation: 0) == [])
    }

    @Test("activate raising leaves the service active, as a successful activation does")
    func activationFails() {
        var failed = ClaimStateMachine(.active(fence, Polling(serviceID: 7), .activating, Pending()))
        var succeeded = failed
        let afterFailure = failed.activationFailed()
        let afterSuccess = succeeded.activated()
        #expect(afterFailure == [.markStarted])
        #expect(afterFailure == afterSuccess)
        #expect(failed.state == .active(fence, Polling(serviceID: 7, started: true), .running, Pending()))
        #expect(failed.state == succeeded.state)
    }

    @Test("a claim won after the first poll does not mark the service started again")
    func startedOnce() {
        var machine = active(.activating)
        #expect(machine.activated() == [])
        #expect(machine.state == .active(fence, polled, .running, Pending()))
    }

    // MARK: - Revalidation

    @Test("a revalidation while the claim is not held is answered at once")
    func revalidateWhileNotHolding() {
        let states: [State] = [.initial, .inactive(polled), .releasing(fence), .stopped]
        for state in states {
            var machine = ClaimStateMachine(state)
            #expect(machine.revalidateRequested(masterExpired: false) == [.answerRevalidations(1)])
            #expect(machine.revalidateRequested(masterExpired: true) == [.answerRevalidations(1)])
            #expect(machine.state == state)
        }
    }

    @Test("revalidations during a poll wait for it, and are answered when the claim is refused")
    func revalidateWhileClaiming() {
        var machine = claiming()
        #expect(machine.revalidateRequested(masterExpired: false) == [])
        #expect(machine.revalidateRequested(masterExpired: true) == [])
        #expect(machine.state == .claiming(polled, Pending(revalidations: 2, masterExpired: true)))
        #expect(machine.claimRefused() == [.answerRevalidations(2), .schedulePoll(generation: 3)])
    }

    @Test("a revalidation during the first poll is answered before the service is marked started")
    func revalidateDuringFirstPoll() {
        var machine = ClaimStateMachine(.claiming(Polling(), Pending()))
        _ = machine.revalidateRequested(masterExpired: false)
        #expect(machine.lookUpFailed() == [.answerRevalidations(1), .markStarted, .schedulePoll(generation: 1)])
    }

    @Test("a revalidation during a poll that wins the claim checks the new claim once it is activated")
    func revalidateWhileClaimingThenClaimed() {
        var machine = claiming()
        _ = machine.revalidateRequested(masterExpired: false)
        #expect(machine.claimed(fence) == [.activate(fence)])
        #expect(machine.state == .active(fence, polled, .activating, Pending(revalidations: 1)))
        #expect(machine.activated() == [.checkClaim(fence)])
        #expect(machine.state == .active(fence, polled, .checking(answering: 1), Pending()))
        #expect(machine.claimChecked(current: true) == [.answerRevalidations(1)])
        #expect(machine.state == .active(fence, polled, .running, Pending()))
    }

    @Test("a revalidation while active checks the claim; a current claim is kept")
    func revalidateKeeps() {
        var machine = active()
        #expect(machine.revalidateRequested(masterExpired: false) == [.checkClaim(fence)])
        #expect(machine.state == .active(fence, polled, .checking(answering: 1), Pending()))
        #expect(machine.claimChecked(current: true) == [.answerRevalidations(1)])
        #expect(machine.state == .active(fence, polled, .running, Pending()))
    }

    @Test("revalidations during a check get a check of their own, one for all of them")
    func revalidateWhileChecking() {
        var machine = active(.checking(answering: 1))
        #expect(machine.revalidateRequested(masterExpired: false) == [])
        #expect(machine.revalidateRequested(masterExpired: false) == [])
        #expect(machine.claimChecked(current: true) == [.answerRevalidations(1), .checkClaim(fence)])
        #expect(machine.state == .active(fence, polled, .checking(answering: 2), Pending()))
        #expect(machine.claimChecked(current: true) == [.answerRevalidations(2)])
    }

    @Test("a check that fails keeps the claim: unknown is not lost")
    func checkFails() {
        var machine = active(.checking(answering: 1))
        #expect(machine.claimCheckFailed() == [.answerRevalidations(1)])
        #expect(machine.state == .active(fence, polled, .running, Pending()))
        #expect(machine.fence == fence)
    }

    @Test("a lost claim deactivates at once; the heartbeat is answered once that is done, then polling resumes")
    func losesClaim() {
        var machine = active()
        _ = machine.revalidateRequested(masterExpired: false)
        #expect(machine.claimChecked(current: false) == [.deactivate(fence)])
        #expect(machine.state == .deactivating(fence, polled, .lostClaim, Pending(revalidations: 1)))
        #expect(machine.fence == fence, "active until deactivation completes")
        #expect(machine.pollTimerFired(generation: 2) == [])
        #expect(
            machine.deactivated() == [.reportLostClaim(fence), .answerRevalidations(1), .schedulePoll(generation: 3)])
        #expect(machine.state == .inactive(Polling(serviceID: 7, generation: 3, started: true)))
        #expect(machine.fence == nil)
        #expect(machine.pollTimerFired(generation: 3) == [.claim(serviceID: 7)])
    }

    @Test("revalidations during a check that finds the claim gone, or during the deactivation, wait for it")
    func revalidateWhileLosing() {
        var machine = active(.checking(answering: 1))
        _ = machine.revalidateRequested(masterExpired: false)
        #expect(machine.claimChecked(current: false) == [.deactivate(fence)])
        #expect(machine.revalidateRequested(masterExpired: true) == [])
        #expect(machine.state == .deactivating(fence, polled, .lostClaim, Pending(revalidations: 3)))
        #expect(
            machine.deactivated() == [.reportLostClaim(fence), .answerRevalidations(3), .schedulePoll(generation: 3)])
    }

    @Test("this master found expired deactivates at once, without a check")
    func masterExpired() {
        var machine = active()
        #expect(machine.revalidateRequested(masterExpired: true) == [.deactivate(fence)])
        #expect(machine.state == .deactivating(fence, polled, .lostClaim, Pending(revalidations: 1)))
        #expect(
            machine.deactivated() == [.reportLostClaim(fence), .answerRevalidations(1), .schedulePoll(generation: 3)])
    }

    @Test("this master found expired during activation deactivates once activated")
    func masterExpiredWhileActivating() {
        var machine = active(.activating)
        #expect(machine.revalidateRequested(masterExpired: true) == [])
        #expect(machine.state == .active(fence, polled, .activating, Pending(revalidations: 1, masterExpired: true)))
        #expect(machine.activated() == [.deactivate(fence)])
        #expect(machine.state == .deactivating(fence, polled, .lostClaim, Pending(revalidations: 1)))
    }

    @Test("this master found expired during a check deactivates once the check completes, whatever it found")
    func masterExpiredWhileChecking() {
        var machine = active(.checking(answering: 1))
        #expect(machine.revalidateRequested(masterExpired: true) == [])
        #expect(machine.claimChecked(current: true) == [.answerRevalidations(1), .deactivate(fence)])
        #expect(machine.state == .deactivating(fence, polled, .lostClaim, Pending(revalidations: 1)))
    }

    @Test("this master found expired during a poll that wins the claim deactivates once activated")
    func masterExpiredWhileClaiming() {
        var machine = claiming()
        _ = machine.revalidateRequested(masterExpired: true)
        #expect(machine.claimed(fence) == [.activate(fence)])
        #expect(machine.activated() == [.deactivate(fence)])
        #expect(machine.state == .deactivating(fence, polled, .lostClaim, Pending(revalidations: 1)))
    }

    @Test("deactivate raising after a lost claim still ends the service inactive, polling")
    func deactivationFailsAfterLoss() {
        var machine = ClaimStateMachine(.deactivating(fence, polled, .lostClaim, Pending()))
        #expect(machine.deactivationFailed() == [.reportLostClaim(fence), .schedulePoll(generation: 3)])
        #expect(machine.state == .inactive(Polling(serviceID: 7, generation: 3, started: true)))
    }

    @Test("poll-now while deactivating after a lost claim polls at once once that is done")
    func pollNowWhileLosing() {
        var machine = ClaimStateMachine(.deactivating(fence, polled, .lostClaim, Pending()))
        #expect(machine.pollNowRequested() == [])
        #expect(machine.deactivated() == [.reportLostClaim(fence), .claim(serviceID: 7)])
        #expect(machine.state == .claiming(polled, Pending()))
    }

    // MARK: - Stop

    @Test("stop before the first poll or while inactive finishes at once")
    func stopWhileInactive() {
        let states: [State] = [.initial, .inactive(polled)]
        for state in states {
            var machine = ClaimStateMachine(state)
            #expect(machine.stopRequested() == [.finish])
            #expect(machine.state == .stopped)
        }
    }

    @Test("stop during a look-up waits for it, then finishes without claiming")
    func stopWhileLookingUp() {
        var machine = ClaimStateMachine(.claiming(Polling(), Pending()))
        _ = machine.revalidateRequested(masterExpired: false)
        #expect(machine.stopRequested() == [])
        #expect(machine.serviceIDFound(7) == [.answerRevalidations(1), .finish])
        #expect(machine.state == .stopped)

        var failing = ClaimStateMachine(.claiming(Polling(), Pending()))
        _ = failing.stopRequested()
        #expect(failing.lookUpFailed() == [.finish])
        #expect(failing.state == .stopped)
    }

    @Test("stop during a claim that is refused or fails waits for it, then finishes")
    func stopWhileClaimingUnclaimed() {
        var refused = claiming()
        _ = refused.revalidateRequested(masterExpired: false)
        #expect(refused.stopRequested() == [])
        #expect(refused.state == .claiming(polled, Pending(revalidations: 1, stop: true)))
        #expect(refused.claimRefused() == [.answerRevalidations(1), .finish])
        #expect(refused.state == .stopped)

        var failed = claiming()
        _ = failed.stopRequested()
        #expect(failed.claimFailed() == [.finish])
        #expect(failed.state == .stopped)
    }

    @Test("stop during a claim that is won activates, then deactivates and releases its own claim")
    func stopWhileClaimingClaimed() {
        var machine = ClaimStateMachine(.claiming(Polling(serviceID: 7), Pending()))
        #expect(machine.stopRequested() == [])
        #expect(machine.claimed(fence) == [.activate(fence)])
        #expect(machine.activated() == [.markStarted, .deactivate(fence)])
        #expect(machine.state == .deactivating(fence, Polling(serviceID: 7, started: true), .stop, Pending()))
        #expect(machine.deactivated() == [.unclaim(fence)])
        #expect(machine.state == .releasing(fence))
        #expect(machine.fence == nil)
        #expect(machine.unclaimed() == [.finish])
        #expect(machine.state == .stopped)
    }

    @Test("stop while active deactivates, then releases its own claim, then finishes")
    func stopWhileActive() {
        var machine = active()
        #expect(machine.stopRequested() == [.deactivate(fence)])
        #expect(machine.state == .deactivating(fence, polled, .stop, Pending()))
        #expect(machine.fence == fence)
        #expect(machine.deactivated() == [.unclaim(fence)])
        #expect(machine.state == .releasing(fence))
        #expect(machine.unclaimed() == [.finish])
        #expect(machine.state == .stopped)
        #expect(machine.fence == nil)
    }

    @Test("stop during activation waits for it; revalidations then wait for the deactivation")
    func stopWhileActivating() {
        var machine = active(.activating)
        _ = machine.revalidateRequested(masterExpired: false)
        #expect(machine.stopRequested() == [])
        #expect(machine.activated() == [.deactivate(fence)])
        _ = machine.revalidateRequested(masterExpired: false)
        #expect(machine.state == .deactivating(fence, polled, .stop, Pending(revalidations: 2)))
        #expect(machine.deactivated() == [.answerRevalidations(2), .unclaim(fence)])
        #expect(machine.revalidateRequested(masterExpired: false) == [.answerRevalidations(1)])
        #expect(machine.unclaimed() == [.finish])
    }

    @Test("stop during a check waits for it; a current claim is then deactivated and released")
    func stopWhileChecking() {
        var machine = active(.checking(answering: 1))
        #expect(machine.stopRequested() == [])
        #expect(machine.claimChecked(current: true) == [.answerRevalidations(1), .deactivate(fence)])
        #expect(machine.state == .deactivating(fence, polled, .stop, Pending()))
        #expect(machine.deactivated() == [.unclaim(fence)])
    }

    @Test("stop during a check that finds the claim gone deactivates, and finishes without releasing")
    func stopWhileCheckingLost() {
        var machine = active(.checking(answering: 1))
        _ = machine.stopRequested()
        #expect(machine.claimChecked(current: false) == [.deactivate(fence)])
        #expect(machine.state == .deactivating(fence, polled, .lostClaim, Pending(revalidations: 1, stop: true)))
        #expect(machine.deactivated() == [.reportLostClaim(fence), .answerRevalidations(1), .finish])
        #expect(machine.state == .stopped)
    }

    @Test("stop while deactivating after a lost claim finishes once that is done, without releasing or polling")
    func stopWhileLosing() {
        var machine = ClaimStateMachine(.deactivating(fence, polled, .lostClaim, Pending(pollNow: true)))
        #expect(machine.stopRequested() == [])
        #expect(machine.deactivated() == [.reportLostClaim(fence), .finish])
        #expect(machine.state == .stopped)
    }

    @Test("another stop while stopping, releasing or stopped changes nothing")
    func stopAgain() {
        var deactivating = ClaimStateMachine(.deactivating(fence, polled, .stop, Pending()))
        #expect(deactivating.stopRequested() == [])
        #expect(deactivating.deactivated() == [.unclaim(fence)])

        let states: [State] = [.releasing(fence), .stopped]
        for state in states {
            var machine = ClaimStateMachine(state)
            #expect(machine.stopRequested() == [])
            #expect(machine.state == state)
        }
    }

    @Test("deactivate and unclaim raising still end the service stopped")
    func unwindErrors() {
        var machine = ClaimStateMachine(.deactivating(fence, polled, .stop, Pending()))
        #expect(machine.deactivationFailed() == [.unclaim(fence)])
        #expect(machine.state == .releasing(fence))
        #expect(machine.unclaimFailed() == [.finish])
        #expect(machine.state == .stopped)
    }

    // MARK: - Whole lives

    @Test("claim, keep it over two heartbeats, lose it, win it back, stop: every heartbeat answered once")
    func wholeLife() {
        let second = ClaimFence(kind: .scheduler, serviceID: 7, masterID: 1, epoch: 4)
        var machine = ClaimStateMachine()
        var waiting = 0
        var answered = 0
        func apply(_ actions: [ClaimStateMachine.Action]) -> [ClaimStateMachine.Action] {
            for case .answerRevalidations(let count) in actions { answered += count }
            return actions
        }

        #expect(apply(machine.start()) == [.lookUpServiceID])
        #expect(apply(machine.serviceIDFound(7)) == [.claim(serviceID: 7)])
        #expect(apply(machine.claimed(fence)) == [.activate(fence)])
        #expect(apply(machine.activated()) == [.markStarted])
        for _ in 0..<2 {
            waiting += 1
            #expect(apply(machine.revalidateRequested(masterExpired: false)) == [.checkClaim(fence)])
            #expect(apply(machine.claimChecked(current: true)) == [.answerRevalidations(1)])
        }
        waiting += 1
        #expect(apply(machine.revalidateRequested(masterExpired: false)) == [.checkClaim(fence)])
        #expect(apply(machine.claimChecked(current: false)) == [.deactivate(fence)])
        #expect(
            apply(machine.deactivated()) == [
                .reportLostClaim(fence), .answerRevalidations(1), .schedulePoll(generation: 1),
            ])
        #expect(apply(machine.pollTimerFired(generation: 1)) == [.claim(serviceID: 7)])
        #expect(apply(machine.claimed(second)) == [.activate(second)])
        #expect(apply(machine.activated()) == [])
        #expect(apply(machine.stopRequested()) == [.deactivate(second)])
        #expect(apply(machine.deactivated()) == [.unclaim(second)])
        #expect(apply(machine.unclaimed()) == [.finish])
        #expect(answered == waiting)
    }
}
