public import GantryModel
public import GantryStorage

/// How far a scheduler has read the changes, kept in its state (`last_changeid`) and written in the same
/// transactions as what the changes led to.
///
/// Unlike Buildbot, which subscribes only while a scheduler is active, the position survives failover: changes
/// that arrive while no master holds the scheduler are read by the next one. A scheduler that never ran starts
/// after the newest change, so history is not rebuilt.
public struct ChangeFeed: Sendable {
    static let positionKey = "last_changeid"
    let database: Database
    let objectID: Int
    let fence: ClaimFence

    public init(database: Database, objectID: Int, fence: ClaimFence) {
        self.database = database
        self.objectID = objectID
        self.fence = fence
    }

    /// The id of the last change read; recorded first when the scheduler has none.
    public func start() async throws -> Int {
        if case .number(let last) = try await database.state.getState(objectID, Self.positionKey, default: nil) {
            return Int(last)
        }
        let newest = try await database.changes.getLatestChangeid() ?? 0
        try await record(newest)
        return newest
    }

    /// The next changes after `changeid`, oldest first.
    public func changes(after changeid: Int) async throws -> [Change] {
        try await database.changes.getChangesSince(changeid)
    }

    /// The state write recording that everything up to `changeid` has been read.
    public func position(_ changeid: Int) -> StateWrite {
        StateWrite(objectID: objectID, key: Self.positionKey, value: .number(Double(changeid)))
    }

    /// Records the position, with `alongside` in the same transaction, fenced.
    public func record(_ changeid: Int, alongside: [StateWrite] = []) async throws {
        try await database.state.setStates([position(changeid)] + alongside, fence: fence)
    }
}
