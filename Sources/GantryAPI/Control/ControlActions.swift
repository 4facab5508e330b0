import Foundation
import GantryModel
import GantryScheduling
import GantryStorage
import Logging

/// The control operations on builds, build requests, workers and schedulers, shared by the JSON-RPC API and the
/// web UI's forms. Each is decided by the access rules for the requester (``Requester/current``), written to the
/// database (one transaction) and announced, so the master running the build or holding the worker carries it
/// out, whichever master received it; then it is recorded in the audit log.
struct ControlActions: Sendable {
    let database: Database
    /// This master's id, for the claim cancelling a waiting request takes.
    let masterID: Int
    let access: AccessControl
    let logger: Logger

    /// Asks the master running build `id` to stop it; it ends CANCELLED.
    /// - Throws: `GantryError.notFound`, `.unauthenticated`/`.forbidden`, or `.conflict` when it has finished.
    func stopBuild(_ id: Int, reason: String?) async throws {
        let build = try await existingBuild(id)
        try await audited(.stop, try await target(of: build), "build \(id)", detail: reason) {
            try await database.builds.requestBuildStop(id, reason: reason ?? "stopped from the API")
        }
    }

    /// A new buildset for build `id`'s builder with its buildset's source stamps, properties, priority and parent,
    /// recording the build it rebuilds as Buildbot does: the first of a chain of rebuilds.
    /// - Returns: The buildset id and the request id per builder id.
    /// - Throws: `GantryError.notFound` when there is no such build (or it has no request).
    func rebuild(_ id: Int, reason: String?) async throws -> (buildsetID: Int, requests: [Int: Int]) {
        let build = try await existingBuild(id)
        guard let request = try await database.buildRequests.getBuildRequest(build.buildRequestID),
            let buildset = try await database.buildsets.getBuildset(request.buildsetID)
        else { throw GantryError(.notFound, "build \(id) has no build request") }
        let target = AccessTarget(builder: try await builderName(build.builderID), owner: Self.owner(of: buildset))
        return try await audited(.rebuild, target, "build \(id)", detail: reason) {
            let added = try await database.buildsets.addBuildset(
                reason: reason ?? "rebuild of build \(build.number)", builderids: [build.builderID],
                sourceStampIDs: buildset.sourceStampIDs, properties: buildset.properties, priority: request.priority,
                parent: buildset.parent, rebuiltBuildID: buildset.rebuiltBuildID ?? id)
            return (added.buildsetID, added.requestIDs)
        }
    }

    /// Cancels build request `id`: a waiting one ends CANCELLED at once, a building one has its build stopped.
    /// - Throws: `GantryError.notFound`, or `.conflict` when it is complete or about to start.
    func cancelBuildRequest(_ id: Int, reason: String?) async throws -> BuildRequestsConnector.Cancellation {
        guard let request = try await database.buildRequests.getBuildRequest(id) else {
            throw GantryError(.notFound, "no build request with id '\(id)'")
        }
        let buildset = try await database.buildsets.getBuildset(request.buildsetID)
        let target = AccessTarget(
            builder: try await builderName(request.builderID), owner: buildset.flatMap(Self.owner(of:)))
        return try await audited(.cancel, target, "build request \(id)", detail: reason) {
            try await database.buildRequests.cancelBuildRequest(
                id, reason: reason ?? "cancelled from the API", masterid: masterID)
        }
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
        let worker = try await existing(key)
        try await audited(.pauseWorker, AccessTarget(worker: worker.name), "worker \(worker.name)", detail: reason) {
            try await database.workers.setWorkerPaused(worker.id, paused: true, pauseReason: reason)
        }
    }

    /// Lets worker `key` take builds again.
    func unpauseWorker(_ key: String) async throws {
        let worker = try await existing(key)
        try await audited(.pauseWorker, AccessTarget(worker: worker.name), "worker \(worker.name)", detail: "unpause") {
            try await database.workers.setWorkerPaused(worker.id, paused: false)
        }
    }

    /// Shuts worker `key` down once its current builds end.
    func stopWorkerGracefully(_ key: String) async throws {
        let worker = try await existing(key)
        try await audited(.gracefulWorker, AccessTarget(worker: worker.name), "worker \(worker.name)", detail: nil) {
            try await database.workers.setWorkerGraceful(worker.id, graceful: true)
        }
    }

    /// Shuts worker `key` down now; its builds end RETRY and run again elsewhere. As in Buildbot, the reason is
    /// the caller's to show: a kill request is not stored with one.
    /// - Throws: `GantryError.conflict` when it is not connected.
    func killWorker(_ key: String, reason: String?) async throws {
        let worker = try await existing(key)
        try await audited(.killWorker, AccessTarget(worker: worker.name), "worker \(worker.name)", detail: reason) {
            guard !worker.connectedTo.isEmpty else {
                throw GantryError(.conflict, "worker '\(worker.name)' is not connected")
            }
            try await database.workers.setWorkerKillRequested(worker.id, true)
        }
    }

    /// Enables or disables scheduler `id`; a disabled scheduler keeps its claim but adds no buildsets.
    /// - Throws: `GantryError.notFound` when there is no such scheduler.
    func setSchedulerEnabled(_ id: Int, _ enabled: Bool) async throws {
        guard let scheduler = try await database.schedulers.getScheduler(id) else {
            throw GantryError(.notFound, "no scheduler with id '\(id)'")
        }
        let detail = enabled ? "enable" : "disable"
        try await audited(
            .enableScheduler, AccessTarget(scheduler: scheduler.name), "scheduler \(scheduler.name)", detail: detail
        ) {
            try await database.schedulers.enable(id, enabled: enabled)
        }
    }

    /// Checks that the requester may force `builders` through `scheduler`, then runs `force` and records it.
    /// - Returns: What `force` returns.
    func force<T: Sendable>(
        _ scheduler: String, builders: [String], _ force: (_ owner: String?) async throws -> T
    ) async throws -> T {
        // Each builder is decided alone: a rule may allow forcing some of a scheduler's builders only.
        let targets = builders.map { AccessTarget(builder: $0, scheduler: scheduler) }
        return try await audited(
            .force, targets.isEmpty ? [AccessTarget(scheduler: scheduler)] : targets, "scheduler \(scheduler)",
            detail: builders.isEmpty ? "every builder" : builders.joined(separator: ", ")
        ) {
            try await force(Requester.current.caller.user)
        }
    }

    /// Whether the requester may do `action` to `target`, for the pages' forms.
    func may(_ action: AccessAction, on target: AccessTarget) -> Bool {
        access.decide(action, on: target, for: Requester.current.caller) == .allowed
    }

    /// Whether the requester may do `action` anywhere, for the pages' buttons.
    func mayAnywhere(_ action: AccessAction) -> Bool {
        access.reach(action, for: Requester.current.caller) != .none
    }

    /// Decides `action` on `target` for the requester, carries out `work` when allowed, and records the outcome
    /// in the audit log: done, refused (a known user without the right; an anonymous caller is only told to log
    /// in) or failed with the error's message.
    private func audited<T: Sendable>(
        _ action: AccessAction, _ target: AccessTarget, _ name: String, detail: String?,
        _ work: () async throws -> T
    ) async throws -> T {
        try await audited(action, [target], name, detail: detail, work)
    }

    /// As above, for an action on several targets at once, each of which must be allowed. An anonymous caller's
    /// refusal is not recorded: anyone could fill the log with those.
    private func audited<T: Sendable>(
        _ action: AccessAction, _ targets: [AccessTarget], _ name: String, detail: String?,
        _ work: () async throws -> T
    ) async throws -> T {
        let requester = Requester.current
        let detail = detail.map { $0.count > Self.maxDetail ? String($0.prefix(Self.maxDetail)) + "…" : $0 }
        do {
            for target in targets { try authorize(action, target, name) }
        } catch let error as GantryError where error.code == .forbidden {
            await record(requester, action, name, outcome: "refused", detail: detail)
            throw error
        }
        do {
            let result = try await work()
            await record(requester, action, name, outcome: "done", detail: detail)
            return result
        } catch {
            let message = (error as? GantryError)?.message ?? "not carried out"
            await record(requester, action, name, outcome: "failed: \(message)", detail: detail)
            throw error
        }
    }

    /// The longest detail (a reason) the audit log keeps.
    static let maxDetail = 1000

    /// - Throws: `GantryError.unauthenticated` (401) for an anonymous caller the rules do not allow,
    ///   `.forbidden` (403) for a known one.
    func authorize(_ action: AccessAction, _ target: AccessTarget, _ name: String) throws {
        let caller = Requester.current.caller
        switch access.decide(action, on: target, for: caller) {
        case .allowed: return
        case .unauthenticated:
            throw GantryError(.unauthenticated, "log in to \(action.rawValue) \(name)")
        case .forbidden:
            throw GantryError(.forbidden, "'\(caller.user ?? "anonymous")' may not \(action.rawValue) \(name)")
        }
    }

    /// One line of the audit log; a failure to write it is logged, as the action itself is done.
    private func record(
        _ requester: Requester, _ action: AccessAction, _ target: String, outcome: String, detail: String?
    ) async {
        do {
            try await database.audit.record(
                user: requester.caller.user, source: requester.caller.source.rawValue, action: action.rawValue,
                target: target, address: requester.address, outcome: outcome, detail: detail, at: Date())
        } catch {
            logger.error(
                "cannot write the audit log",
                metadata: [
                    LogKey.detail: "\(action.rawValue) \(target)", LogKey.error: "\(DatabaseFailure.reason(error))",
                ])
        }
    }

    private func existingBuild(_ id: Int) async throws -> Build {
        guard let build = try await database.builds.getBuild(id) else {
            throw GantryError(.notFound, "no build with id '\(id)'")
        }
        return build
    }

    /// What rules see of a build: its builder and its buildset's owner.
    private func target(of build: Build) async throws -> AccessTarget {
        var buildset: Buildset?
        if let request = try await database.buildRequests.getBuildRequest(build.buildRequestID) {
            buildset = try await database.buildsets.getBuildset(request.buildsetID)
        }
        return AccessTarget(builder: try await builderName(build.builderID), owner: buildset.flatMap(Self.owner(of:)))
    }

    private func builderName(_ id: Int) async throws -> String? {
        try await database.builders.getBuilders().first { $0.id == id }?.name
    }

    /// The `owner` property (`[value, source]`) as only the force scheduler sets it: an owner a change brought
    /// (a hook's properties) is not believed, or anyone could make a build "theirs" to stop.
    private static func owner(of buildset: Buildset) -> String? {
        guard case .array(let value)? = buildset.properties["owner"], value.count == 2,
            value[1].string == ForceScheduler.propertySource
        else { return nil }
        return value[0].string
    }

    /// The worker `key` names.
    /// - Throws: `GantryError.notFound` when there is none.
    private func existing(_ key: String) async throws -> Worker {
        guard let worker = try await worker(key) else { throw GantryError(.notFound, "no worker '\(key)'") }
        return worker
    }
}
