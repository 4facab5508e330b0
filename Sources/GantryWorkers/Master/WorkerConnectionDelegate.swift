/// Where a ``WorkerManager`` reports the workers it attaches and the end of their connections: the manager
/// keeps connections only, and the delegate records workers wherever the master keeps them.
///
/// Calls about one worker name come one at a time, in the order its connections attached and ended, whatever
/// each call's delay.
public protocol WorkerConnectionDelegate: Sendable {
    /// Worker `name` attached on `link` and described itself with `info`; returns the worker's id.
    /// - Throws: When the worker cannot be recorded; its connection is then closed.
    func workerAttached(name: String, info: WorkerInfo, link: WorkerLink) async throws -> Int

    /// The connection `link` of worker `workerID`, reported attached before, ended, and no newer connection of
    /// the worker took its place.
    func workerDetached(name: String, workerID: Int, link: WorkerLink) async throws
}
