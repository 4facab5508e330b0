import GantryModel
import GantryStorage
import Hummingbird

extension HTTPAPI {
    /// Buildbot's control calls on builds, build requests and workers. Each is written to the database (one
    /// transaction) and announced, so the master running the build or holding the worker carries it out
    /// whichever master received the call.
    ///
    /// - `POST /api/v2/builds/{id}`: `stop` (the build ends CANCELLED), `rebuild` (a new buildset with the
    ///   build's source stamps and properties for its builder: `[bsid, {builderid: brid}]`).
    /// - `POST /api/v2/buildrequests/{id}`: `cancel` (a waiting request ends CANCELLED at once, a building one
    ///   has its build stopped).
    /// - `POST /api/v2/workers/{id or name}`: `pause`, `unpause`, `stop` (graceful: shut down after the
    ///   current builds), `kill` (shut down now; its builds end RETRY and run again elsewhere).
    func addControl(to router: Router<BasicRequestContext>) {
        controlRoute("/api/v2/builds/{id}", methods: ["stop", "rebuild"], on: router) { [self] key, method, reason in
            guard let id = Int(key) else { throw GantryError(.notFound, "no build with id '\(key)'") }
            if method == "stop" {
                try await database.builds.requestBuildStop(id, reason: reason ?? "stopped from the API")
                return .null
            }
            return try await rebuild(id, reason: reason)
        }
        controlRoute("/api/v2/buildrequests/{id}", methods: ["cancel"], on: router) { [self] key, _, reason in
            guard let id = Int(key) else { throw GantryError(.notFound, "no build request with id '\(key)'") }
            let outcome = try await database.buildRequests.cancelBuildRequest(
                id, reason: reason ?? "cancelled from the API", masterid: masterID)
            return outcome == .cancelled ? "cancelled" : "stopping"
        }
        controlRoute("/api/v2/workers/{id}", methods: ["pause", "unpause", "stop", "kill"], on: router) {
            [self] key, method, reason in
            guard let worker = try await worker(key) else { throw GantryError(.notFound, "no worker '\(key)'") }
            switch method {
            case "pause": try await database.workers.setWorkerPaused(worker.id, paused: true, pauseReason: reason)
            case "unpause": try await database.workers.setWorkerPaused(worker.id, paused: false)
            case "stop": try await database.workers.setWorkerGraceful(worker.id, graceful: true)
            default:
                guard !worker.connectedTo.isEmpty else {
                    throw GantryError(.conflict, "worker '\(worker.name)' is not connected")
                }
                try await database.workers.setWorkerKillRequested(worker.id, true)
            }
            return .null
        }
    }

    /// A new buildset for the build's builder with its buildset's source stamps, properties and priority.
    private func rebuild(_ id: Int, reason: String?) async throws -> JSONValue {
        guard let build = try await database.builds.getBuild(id) else {
            throw GantryError(.notFound, "no build with id '\(id)'")
        }
        guard let request = try await database.buildRequests.getBuildRequest(build.buildRequestID),
            let buildset = try await database.buildsets.getBuildset(request.buildsetID)
        else { throw GantryError(.notFound, "build \(id) has no build request") }
        let (bsid, requests) = try await database.buildsets.addBuildset(
            reason: reason ?? "rebuild of build \(build.number)", builderids: [build.builderID],
            sourceStampIDs: buildset.sourceStampIDs, properties: buildset.properties, priority: request.priority)
        return [
            .number(Double(bsid)),
            .object(Dictionary(uniqueKeysWithValues: requests.map { (String($0.key), .number(Double($0.value))) })),
        ]
    }
}
