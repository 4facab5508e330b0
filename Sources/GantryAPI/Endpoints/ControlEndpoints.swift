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
    func addControl(to router: Router<APIRequestContext>) {
        controlRoute("/api/v2/builds/{id}", methods: ["stop", "rebuild"], on: router) {
            [control] key, method, reason in
            guard let id = Int(key) else { throw GantryError(.notFound, "no build with id '\(key)'") }
            if method == "stop" {
                try await control.stopBuild(id, reason: reason)
                return .null
            }
            let (bsid, requests) = try await control.rebuild(id, reason: reason)
            return [
                .number(Double(bsid)),
                .object(
                    Dictionary(uniqueKeysWithValues: requests.map { (String($0.key), .number(Double($0.value))) })),
            ]
        }
        controlRoute("/api/v2/buildrequests/{id}", methods: ["cancel"], on: router) { [control] key, _, reason in
            guard let id = Int(key) else { throw GantryError(.notFound, "no build request with id '\(key)'") }
            return try await control.cancelBuildRequest(id, reason: reason) == .cancelled ? "cancelled" : "stopping"
        }
        controlRoute("/api/v2/workers/{id}", methods: ["pause", "unpause", "stop", "kill"], on: router) {
            [control] key, method, reason in
            switch method {
            case "pause": try await control.pauseWorker(key, reason: reason)
            case "unpause": try await control.unpauseWorker(key)
            case "stop": try await control.stopWorkerGracefully(key)
            default: try await control.killWorker(key, reason: reason)
            }
            return .null
        }
    }

    /// The control operations over this API's database, as this master.
    var control: ControlActions {
        ControlActions(database: database, masterID: masterID, access: access, logger: logger)
    }
}
