import GantryModel
import GantryStorage

/// Writes a poll's changes in parts, each with the heads that account for it, in a fenced transaction of its own:
/// one transaction for every new commit of a large poll would outlast the database's time limit, fail, and be tried
/// again whole at every poll. Whatever ends a poll early (an error, the claim lost), the stored heads match the
/// changes stored, so the next poll, here or on the master that takes over, goes on from the last part written.
struct GitPollWriter {
    let database: Database
    let objectID: Int
    let fence: ClaimFence
    /// The heads stored, by ref; nil when there are none (before the first poll's write).
    private(set) var heads: [String: String]?
    /// The stored state's version, which the next write expects: 0 when nothing is stored.
    private var version: Int

    init(database: Database, objectID: Int, fence: ClaimFence, stored: [String: String]?, version: Int) {
        self.database = database
        self.objectID = objectID
        self.fence = fence
        heads = stored
        self.version = version
    }

    /// Stores `changes` with `heads` as the poller's state, in one transaction.
    /// - Throws: `GantryError.fenced` when the claim is lost, `GantryError.conflict` when another writer changed
    ///   the state; nothing is written then.
    /// - Returns: The ids of the changes, in order.
    mutating func write(_ changes: [NewChange], heads: [String: String]) async throws -> [Int] {
        let ids = try await database.changes.addChanges(
            changes,
            state: StateWrite(
                objectID: objectID, key: GitPoller.stateKey, value: GitPollPlan.stateValue(of: heads),
                expectedVersion: version),
            fence: fence)
        self.heads = heads
        // A compare-and-set stores the version after the one it expected (1 where there was none).
        version += 1
        return ids
    }
}
