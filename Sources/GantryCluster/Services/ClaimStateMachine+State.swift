package import GantryModel

extension ClaimStateMachine {
    /// Where a clustered service stands on this master.
    package enum State: Equatable, Sendable {
        /// Not started yet.
        case initial
        /// Not holding the claim; waiting for the poll timer of the polling's generation, or a poll-now.
        case inactive(Polling)
        /// A poll in flight: looking the service's id up while the polling has none, else claiming the service.
        case claiming(Polling, Pending)
        /// Holding the claim; the behaviour's work runs once activated.
        case active(ClaimFence, Polling, Activity, Pending)
        /// Giving the claim up: the work is cancelled and awaited, then `deactivate` runs.
        case deactivating(ClaimFence, Polling, Reason, Pending)
        /// Stopping, deactivated: releasing the claim, only if it is still exactly this one.
        case releasing(ClaimFence)
        /// Finished; the behaviour is told it stopped.
        case stopped
    }

    /// What a service remembers about polling across its states.
    package struct Polling: Equatable, Sendable {
        /// The service's id, once looked up; it never changes, so it is looked up once.
        package var serviceID: Int?
        /// The generation of the poll timer that counts; a timer of an older one is stale and ignored.
        package var generation: Int
        /// Whether the first poll has finished, so that the service is marked started only once.
        package var started: Bool

        /// Polling of a service that has not polled yet, unless told otherwise.
        package init(serviceID: Int? = nil, generation: Int = 0, started: Bool = false) {
            self.serviceID = serviceID
            self.generation = generation
            self.started = started
        }
    }

    /// What an active service is doing besides its work.
    package enum Activity: Equatable, Sendable {
        /// `activate` is in flight.
        case activating
        /// Only the work runs.
        case running
        /// A claim check is in flight; it answers this many of the longest-waiting revalidations.
        case checking(answering: Int)
    }

    /// Why a service gives its claim up.
    package enum Reason: Equatable, Sendable {
        /// It was asked to stop: it releases its claim afterwards.
        case stop
        /// The claim is gone, or this master was expired: there is nothing of its own to release, and polling
        /// resumes.
        case lostClaim
    }

    /// Requests that arrived while a step was in flight, handled once the step completes: a step is never
    /// interrupted, and no request is dropped.
    package struct Pending: Equatable, Sendable {
        /// Revalidations waiting for an answer and not covered by a check in flight.
        package var revalidations: Int
        /// Whether one of those revalidations found this master expired.
        package var masterExpired: Bool
        /// Whether a poll-now came during a claim step, or while deactivating after a lost claim: that step may
        /// have come before the claim was freed, so another poll follows at once if the service ends inactive.
        package var pollNow: Bool
        /// Whether the service was asked to stop.
        package var stop: Bool

        /// Nothing pending, unless told otherwise.
        package init(revalidations: Int = 0, masterExpired: Bool = false, pollNow: Bool = false, stop: Bool = false) {
            self.revalidations = revalidations
            self.masterExpired = masterExpired
            self.pollNow = pollNow
            self.stop = stop
        }
    }
}
