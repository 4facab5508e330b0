package import GantryModel

/// Decides, for one clustered service on this master, when to look its id up, claim it, activate it, re-check the
/// claim, deactivate it and release it. ``ClusteredService`` carries out the actions and reports the outcome of
/// each step back as the next event, so every rule lives here and is tested without a database, clock or task.
///
/// At most one step is in flight at a time. What arrives meanwhile (a revalidation, a poll-now, a stop) waits in
/// ``Pending`` until the step completes. Revalidations are answered in arrival order, each only after a check (or
/// a deactivation) that began after it, or at once when the claim is not held.
package struct ClaimStateMachine: Sendable {
    /// Where the service stands.
    package private(set) var state: State

    /// A machine for a service not yet started.
    package init() {
        state = .initial
    }

    /// A machine already in `state`, so that tests can start anywhere.
    package init(_ state: State) {
        self.state = state
    }

    /// The claim the service runs under: from the moment it is won until its deactivation completes.
    package var fence: ClaimFence? {
        switch state {
        case .active(let fence, _, _, _), .deactivating(let fence, _, _, _): fence
        case .initial, .inactive, .claiming, .releasing, .stopped: nil
        }
    }

    // MARK: - Requests

    /// The service's loop began: the first poll happens at once.
    package mutating func start() -> [Action] {
        switch state {
        case .initial:
            return [beginPoll(Polling())]
        case .inactive, .claiming, .active, .deactivating, .releasing, .stopped:
            preconditionFailure("a clustered service was started twice: \(state)")
        }
    }

    /// The poll timer of `generation` fired. Only the newest timer counts, and only while inactive: polling stops
    /// while a poll is in flight or the claim is held.
    package mutating func pollTimerFired(generation: Int) -> [Action] {
        switch state {
        case .inactive(let polling):
            guard generation == polling.generation else { return [] }
            return [beginPoll(polling)]
        case .initial, .claiming, .active, .deactivating, .releasing, .stopped:
            return []
        }
    }

    /// A poll was asked for now, because a peer just expired and its claims are free. Nothing happens while the
    /// claim is held. During a claim step, or while deactivating after a lost claim, it is remembered: that step
    /// may have come before the claim was freed, so the service polls again at once if it ends inactive.
    package mutating func pollNowRequested() -> [Action] {
        switch state {
        case .inactive(let polling):
            return [beginPoll(polling)]
        case .claiming(let polling, var pending):
            pending.pollNow = true
            state = .claiming(polling, pending)
            return []
        case .deactivating(let fence, let polling, let reason, var pending):
            pending.pollNow = true
            state = .deactivating(fence, polling, reason, pending)
            return []
        case .initial, .active, .releasing, .stopped:
            return []
        }
    }

    /// A heartbeat asks to re-check the claim; `masterExpired` says a peer expired this master, so the claim is
    /// gone without asking. Answered at once while the claim is not held; otherwise once a check, or the
    /// deactivation it leads to, has completed.
    package mutating func revalidateRequested(masterExpired: Bool) -> [Action] {
        switch state {
        case .initial, .inactive, .releasing, .stopped:
            return [.answerRevalidations(1)]
        case .claiming(let polling, var pending):
            pending.revalidations += 1
            pending.masterExpired = pending.masterExpired || masterExpired
            state = .claiming(polling, pending)
            return []
        case .active(let fence, let polling, .running, var pending):
            pending.revalidations += 1
            pending.masterExpired = pending.masterExpired || masterExpired
            return proceed(fence, polling, pending)
        case .active(let fence, let polling, let activity, var pending):
            pending.revalidations += 1
            pending.masterExpired = pending.masterExpired || masterExpired
            state = .active(fence, polling, activity, pending)
            return []
        case .deactivating(let fence, let polling, let reason, var pending):
            pending.revalidations += 1
            state = .deactivating(fence, polling, reason, pending)
            return []
        }
    }

    /// The service was asked to stop, or its loop was cancelled. Once the step in flight completes, a held claim
    /// is deactivated and released; then the service finishes.
    package mutating func stopRequested() -> [Action] {
        switch state {
        case .initial, .inactive:
            return finish(answering: 0)
        case .claiming(let polling, var pending):
            pending.stop = true
            state = .claiming(polling, pending)
            return []
        case .active(let fence, let polling, .running, var pending):
            pending.stop = true
            return proceed(fence, polling, pending)
        case .active(let fence, let polling, let activity, var pending):
            pending.stop = true
            state = .active(fence, polling, activity, pending)
            return []
        case .deactivating(let fence, let polling, let reason, var pending):
            pending.stop = true
            state = .deactivating(fence, polling, reason, pending)
            return []
        case .releasing, .stopped:
            return []
        }
    }

    // MARK: - Outcomes of steps

    /// The service's id was found (registered if new): claim the service, which also serves any poll-now so far,
    /// unless a stop came meanwhile, in which case nothing is held and the service finishes.
    package mutating func serviceIDFound(_ serviceID: Int) -> [Action] {
        switch state {
        case .claiming(var polling, var pending):
            precondition(polling.serviceID == nil, "no look-up was in flight")
            polling.serviceID = serviceID
            if pending.stop { return finish(answering: pending.revalidations) }
            pending.pollNow = false
            state = .claiming(polling, pending)
            return [.claim(serviceID: serviceID)]
        case .initial, .inactive, .active, .deactivating, .releasing, .stopped:
            preconditionFailure("no look-up was in flight: \(state)")
        }
    }

    /// Looking the id up failed (the runner logged why): the poll ends, and the next one tries again.
    package mutating func lookUpFailed() -> [Action] {
        switch state {
        case .claiming(let polling, let pending):
            precondition(polling.serviceID == nil, "no look-up was in flight")
            return endPoll(polling, pending)
        case .initial, .inactive, .active, .deactivating, .releasing, .stopped:
            preconditionFailure("no look-up was in flight: \(state)")
        }
    }

    /// The claim was won: activate. A stop that came meanwhile is handled once activated, so that every claim
    /// won is activated and deactivated in pairs.
    package mutating func claimed(_ fence: ClaimFence) -> [Action] {
        switch state {
        case .claiming(let polling, var pending):
            precondition(polling.serviceID != nil, "no claim was in flight")
            pending.pollNow = false
            state = .active(fence, polling, .activating, pending)
            return [.activate(fence)]
        case .initial, .inactive, .active, .deactivating, .releasing, .stopped:
            preconditionFailure("no claim was in flight: \(state)")
        }
    }

    /// Another master holds the claim: the poll ends.
    package mutating func claimRefused() -> [Action] {
        claimEnded()
    }

    /// Claiming failed (the runner logged why): the service stays inactive, and the next poll tries again.
    package mutating func claimFailed() -> [Action] {
        claimEnded()
    }

    /// `activate` returned and the work started: the first poll is over, and what waited is handled.
    package mutating func activated() -> [Action] {
        switch state {
        case .active(let fence, var polling, .activating, let pending):
            var actions: [Action] = polling.started ? [] : [.markStarted]
            polling.started = true
            actions += proceed(fence, polling, pending)
            return actions
        case .initial, .inactive, .claiming, .active, .deactivating, .releasing, .stopped:
            preconditionFailure("no activation was in flight: \(state)")
        }
    }

    /// `activate` threw (the runner logged it, and started the work anyway): the service stays active, as in
    /// Buildbot.
    package mutating func activationFailed() -> [Action] {
        activated()
    }

    /// The claim check answered: a current claim answers the revalidations it covered; a gone one deactivates at
    /// once, and they are answered when that is done.
    package mutating func claimChecked(current: Bool) -> [Action] {
        switch state {
        case .active(let fence, let polling, .checking(let answering), var pending):
            guard current else {
                pending.revalidations += answering
                return deactivate(fence, polling, .lostClaim, pending)
            }
            var actions = Self.answer(answering)
            actions += proceed(fence, polling, pending)
            return actions
        case .initial, .inactive, .claiming, .active, .deactivating, .releasing, .stopped:
            preconditionFailure("no claim check was in flight: \(state)")
        }
    }

    /// The claim check failed (the runner logged why). Unknown is not lost: fenced writes already refuse anything
    /// a deposed master tries, so the claim is kept.
    package mutating func claimCheckFailed() -> [Action] {
        claimChecked(current: true)
    }

    /// The work ended and `deactivate` returned. On stop, the claim is released next; after a lost claim, the loss
    /// is reported and polling resumes (at once when a poll-now came meanwhile), or the service finishes when a
    /// stop came meanwhile. Either way the revalidations that waited are answered.
    package mutating func deactivated() -> [Action] {
        switch state {
        case .deactivating(let fence, _, .stop, let pending):
            state = .releasing(fence)
            var actions = Self.answer(pending.revalidations)
            actions.append(.unclaim(fence))
            return actions
        case .deactivating(let fence, let polling, .lostClaim, let pending):
            var actions: [Action] = [.reportLostClaim(fence)]
            if pending.stop {
                actions += finish(answering: pending.revalidations)
            } else {
                actions += Self.answer(pending.revalidations)
                actions.append(pending.pollNow ? beginPoll(polling) : scheduleNextPoll(polling))
            }
            return actions
        case .initial, .inactive, .claiming, .active, .releasing, .stopped:
            preconditionFailure("no deactivation was in flight: \(state)")
        }
    }

    /// `deactivate` threw (the runner logged it): the service still ends inactive.
    package mutating func deactivationFailed() -> [Action] {
        deactivated()
    }

    /// The claim was released: the service finishes.
    package mutating func unclaimed() -> [Action] {
        switch state {
        case .releasing:
            return finish(answering: 0)
        case .initial, .inactive, .claiming, .active, .deactivating, .stopped:
            preconditionFailure("no release was in flight: \(state)")
        }
    }

    /// Releasing the claim failed (the runner logged why): the service finishes all the same; the claim goes when
    /// this master is expired, or when it restarts and cleans up after itself.
    package mutating func unclaimFailed() -> [Action] {
        unclaimed()
    }

    // MARK: - Transitions

    /// Starts a poll: looks the id up first if it is not known yet.
    private mutating func beginPoll(_ polling: Polling) -> Action {
        state = .claiming(polling, Pending())
        guard let serviceID = polling.serviceID else { return .lookUpServiceID }
        return .claim(serviceID: serviceID)
    }

    /// Waits for the next poll timer, of a new generation, so every earlier timer is stale.
    private mutating func scheduleNextPoll(_ polling: Polling) -> Action {
        var polling = polling
        polling.generation += 1
        state = .inactive(polling)
        return .schedulePoll(generation: polling.generation)
    }

    /// A claim step ended without a claim.
    private mutating func claimEnded() -> [Action] {
        switch state {
        case .claiming(let polling, let pending):
            precondition(polling.serviceID != nil, "no claim was in flight")
            return endPoll(polling, pending)
        case .initial, .inactive, .active, .deactivating, .releasing, .stopped:
            preconditionFailure("no claim was in flight: \(state)")
        }
    }

    /// A poll ended without a claim: finish if asked to stop; otherwise poll again, at once if asked to, else at
    /// the next timer. The revalidations that waited on the poll are answered, since nothing is held.
    private mutating func endPoll(_ polling: Polling, _ pending: Pending) -> [Action] {
        if pending.stop { return finish(answering: pending.revalidations) }
        var actions = Self.answer(pending.revalidations)
        if !polling.started { actions.append(.markStarted) }
        var polled = polling
        polled.started = true
        actions.append(pending.pollNow ? beginPoll(polled) : scheduleNextPoll(polled))
        return actions
    }

    /// The work runs and no step is in flight: handle what waited, a stop before any revalidation.
    private mutating func proceed(_ fence: ClaimFence, _ polling: Polling, _ pending: Pending) -> [Action] {
        if pending.stop {
            return deactivate(fence, polling, .stop, Pending(revalidations: pending.revalidations))
        }
        guard pending.revalidations > 0 else {
            state = .active(fence, polling, .running, Pending())
            return []
        }
        if pending.masterExpired {
            return deactivate(fence, polling, .lostClaim, Pending(revalidations: pending.revalidations))
        }
        state = .active(fence, polling, .checking(answering: pending.revalidations), Pending())
        return [.checkClaim(fence)]
    }

    private mutating func deactivate(
        _ fence: ClaimFence, _ polling: Polling, _ reason: Reason, _ pending: Pending
    ) -> [Action] {
        state = .deactivating(fence, polling, reason, pending)
        return [.deactivate(fence)]
    }

    private mutating func finish(answering: Int) -> [Action] {
        state = .stopped
        var actions = Self.answer(answering)
        actions.append(.finish)
        return actions
    }

    private static func answer(_ count: Int) -> [Action] {
        count > 0 ? [.answerRevalidations(count)] : []
    }
}
