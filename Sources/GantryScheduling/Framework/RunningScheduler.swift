public import GantryModel
public import GantryStorage

extension SchedulersConnector {
    /// The claim of the master running scheduler `name`, for a request (force, trigger) that any master may
    /// receive: a write fenced by it lands only while that master still runs the scheduler, so the request is
    /// carried out on the holder's behalf exactly as if it had been handed to it.
    /// - Parameter description: How the scheduler is named in errors ("force scheduler").
    /// - Throws: `GantryError.notFound` when no master runs it, `.conflict` when it is disabled.
    public func runningSchedulerFence(_ name: String, description: String) async throws -> ClaimFence {
        let schedulerID = try await findSchedulerId(name)
        guard let fence = try await getSchedulerClaim(schedulerID) else {
            throw GantryError(.notFound, "no master is running \(description) '\(name)'; try again once one is")
        }
        guard try await getScheduler(schedulerID)?.enabled != false else {
            throw GantryError(.conflict, "\(description) '\(name)' is disabled")
        }
        return fence
    }
}
