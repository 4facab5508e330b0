package import GantryModel

extension ClaimStateMachine {
    /// What the runner is to do, in order. An event returns at most one step (a claimer call, `activate`,
    /// `deactivate`), always last, after the notices that go with it.
    package enum Action: Equatable, Sendable {
        /// Count and log a claim found gone, now deactivated.
        case reportLostClaim(ClaimFence)
        /// Answer this many of the longest-waiting revalidations.
        case answerRevalidations(Int)
        /// The first poll has finished (claimed and activated, or found unclaimable): `waitUntilStarted()` returns.
        case markStarted
        /// Look the service's id up, registering it when new; reports ``ClaimStateMachine/serviceIDFound(_:)`` or
        /// ``ClaimStateMachine/lookUpFailed()``.
        case lookUpServiceID
        /// Claim the service; reports ``ClaimStateMachine/claimed(_:)``, ``ClaimStateMachine/claimRefused()`` or
        /// ``ClaimStateMachine/claimFailed()``.
        case claim(serviceID: Int)
        /// Call `activate`, then start the work; reports ``ClaimStateMachine/activated()`` or
        /// ``ClaimStateMachine/activationFailed()``.
        case activate(ClaimFence)
        /// Check that the claim is still current; reports ``ClaimStateMachine/claimChecked(current:)`` or
        /// ``ClaimStateMachine/claimCheckFailed()``.
        case checkClaim(ClaimFence)
        /// Cancel and await the work, then call `deactivate`; reports ``ClaimStateMachine/deactivated()`` or
        /// ``ClaimStateMachine/deactivationFailed()``.
        case deactivate(ClaimFence)
        /// Release the claim if it is still exactly this one; reports ``ClaimStateMachine/unclaimed()`` or
        /// ``ClaimStateMachine/unclaimFailed()``.
        case unclaim(ClaimFence)
        /// Report ``ClaimStateMachine/pollTimerFired(generation:)`` after one claim poll interval.
        case schedulePoll(generation: Int)
        /// Answer every revalidation still waiting, tell the behaviour it stopped, and end.
        case finish
    }
}
