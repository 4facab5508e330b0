import GantryModel
import GantryStorage

/// The control operations on builds, build requests, workers and schedulers, shared by the JSON-RPC API and the
/// web UI's forms. Each is written to the database (one transaction) and announced, so the master running the
/// build or holding the worker carries it out, whichever master received it.
struct ControlActions: Sendable {
    let database: Database
    /// This master's id, for the claim cancelling a waiting request takes.
    let masterID: Int

    /// Asks the master running build `id` to stop it; it ends CANCELLED.
    /// - Throws: `GantryError.notFound`, or `.conflict` when it has finished.
    func stopBuild(_ id: Int, reason: String?) async throws {
        try await database.builds.requestBuildStop(id, reason: reason ?? "stopped from the API")
    }

    /// A new buildset for build `id`'s builder with its buildset's source stamps, properties and priority.
    /// - Returns: The buildset id and the request id per builder id.
    /// - Throws: `GantryError.notFound` when there is no such build (or it has no request).
    func rebuild(_ id: Int, reason: String?) async throws -> (buildsetID: Int, requests: [Int: Int]) {
        guard let build = try await database.builds.getBuild(id) else {
            throw GantryError(.notFound, "no build with id '\(id)'")
        }
        guard let request = try await database.buildRequests.getBuildRequest(build.buildRequestID),
            let buildset = try await database.buildsets.getBuildset(request.buildsetID)
        else { throw GantryError(.notFound, "build \(id) has no build request") }
        let added = try await database.buildsets.addBuildset(
            reason: reason ?? "rebuild of build \(build.number)", builderids: [build.builderID],
            sourceStampIDs: buildset.sourceStampIDs, properties: buildset.properties, priority: request.priority)
        return (added.buildsetID, added.requestIDs)
    }

    /// Cancels build request `id`: a waiting one ends CANCELLED at once, a building one has its build stopped.
    /// - Throws: `GantryError.notFound`, or `.conflict` when it is complete or about to start.
    func cancelBuildRequest(_ id: Int, reason: String?) async throws -> BuildRequestsConnector.Cancellation {
        try await database.buildRequests.cancelBuildRequest(
            id, reason: reason ?? "cancelled from the API", masterid: masterID)
    }

    /// The worker with id or name `key`.
    func worker(_ key: String) async throws -> Worker? {
        if let id = Int(key) {
            try await database.workers.getWorker(id)
        } else {
            try await database.workers.getWorker(named: key)
        }
    }

    /// Pauses worker `key` (id or name): it takes no new builds.
    func pauseWorker(_ key: String, reason: String?) async throws {
        try await database.workers.setWorkerPaused(try await existing(key).id, paused: true, pauseReason: reason)
    }

    /// Lets worker `key` take builds again.
    func unpauseWorker(_ key: String) async throws {
        try await database.workers.setWorkerPaused(try await existing(key).id, paused: false)
    }

    /// Shuts worker `key` down once its current builds end.
    func stopWorkerGracefully(_ key: String) async throws {
        try await database.workers.setWorkerGraceful(try await existing(key).id, graceful: true)
    }

    /// Shuts worker `key` down now; its builds end RETRY and run again elsewhere. As in Buildbot, the reason is
    /// the caller's to show: a kill request is not stored with one.
    /// - Throws: `GantryError.conflict` when it is not connected.
    func killWorker(_ key: String, reason: String?) async throws {
        let worker = try await existing(key)
        guard !worker.connectedTo.isEmpty else {
            throw GantryError(.conflict, "worker '\(worker.name)' is not connected")
        }
        try await database.workers.setWorkerKillRequested(worker.id, true)
    }

    /// Enables or disables scheduler `id`; a disabled scheduler keeps its claim but adds no buildsets.
    /// - Throws: `GantryError.notFound` when there is no such scheduler.
    func setSchedulerEnabled(_ id: Int, _ enabled: Bool) async throws {
        guard try await database.schedulers.getScheduler(id) != nil else {
            throw GantryError(.notFound, "no scheduler with id '\(id)'")
        }
        try await database.schedulers.enable(id, enabled: enabled)
    }

    /// The worker `key` names.
    /// - Throws: `GantryError.notFound` when there is none.
    private func existing(_ key: String) async throws -> Worker {
        guard let worker = try await worker(key) else { throw GantryError(.notFound, "no worker '\(key)'") }
        return worker
    }
}
