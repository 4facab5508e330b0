import Foundation
import GantryModel
import GantryStorage
import Logging

/// The timing the cron schedulers share: the next time follows the recorded `last_build` (or the activation,
/// for a scheduler that never built), a time that has passed is due at once, and a disabled scheduler waits.
struct CronTimer: Sendable {
    static let lastBuildKey = "last_build"

    let schedule: CronSchedule
    let database: Database
    let logger: Logger

    enum Check {
        /// Nothing is due; look again at this time (never, when `nil`).
        case wait(until: Date?)
        /// The time `at` has come; `firstBuild` when the scheduler never built.
        case due(at: Date, firstBuild: Bool)
    }

    func check(objectID: Int, fence: ClaimFence, activatedAt: Date) async throws -> Check {
        let lastBuild = try await database.state.getState(objectID, Self.lastBuildKey, default: nil)
        var base = activatedAt
        if case .number(let seconds) = lastBuild { base = Date(timeIntervalSince1970: seconds) }
        guard let due = schedule.next(after: base) else { return .wait(until: nil) }
        let now = database.clock.now()
        guard due <= now else { return .wait(until: due) }
        guard try await database.schedulers.getScheduler(fence.serviceID)?.enabled != false else {
            return .wait(until: now.addingTimeInterval(60))
        }
        if due < now.addingTimeInterval(-60) {
            logger.info("missed scheduled build time - building immediately")
        }
        return .due(at: due, firstBuild: lastBuild == .null)
    }

    /// The time after the one just handled.
    func next() -> Date? {
        schedule.next(after: database.clock.now())
    }

    /// Records a build (or a skipped time) at `time`.
    static func recordBuild(objectID: Int, at time: Date) -> StateWrite {
        StateWrite(objectID: objectID, key: lastBuildKey, value: .number(time.timeIntervalSince1970.rounded(.down)))
    }
}
