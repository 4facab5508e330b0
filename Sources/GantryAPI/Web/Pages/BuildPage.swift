import Foundation
import GantryModel
import GantryStorage
import Hummingbird

extension WebUI {
    /// Changes listed on a build's page.
    static let buildChangesLimit = 50
    /// Requests collapsed into a build listed on its page.
    static let buildMergedLimit = 50

    /// `GET /builds/{id}` and `/builders/{id}/builds/{number}`: the build's builder, number, result, state, worker,
    /// times and reason; the requests collapsed into it; its steps with their results, durations and logs; its
    /// properties; the source stamps it built and their changes; and the forms to stop it (while it runs) and to
    /// build it again. The page follows the events of its build and steps.
    func addBuildPages(to router: Router<APIRequestContext>) {
        router.get("/builds/{id}") { [self] _, context -> Response in
            await rendering {
                let id = context.parameters.get("id") ?? ""
                guard let buildID = Int(id), let build = try await database.builds.getBuildSummary(buildID) else {
                    return notFoundPage("There is no build \(id).")
                }
                return try await buildPage(build)
            }
        }
        router.get("/builders/{id}/builds/{number}") { [self] _, context -> Response in
            await rendering {
                let builder = context.parameters.get("id") ?? ""
                let number = context.parameters.get("number") ?? ""
                guard let builderID = Int(builder), let buildNumber = Int(number),
                    let build = try await database.builds.getBuildSummary(builderid: builderID, number: buildNumber)
                else { return notFoundPage("Builder \(builder) has no build \(number).") }
                return try await buildPage(build)
            }
        }
    }

    private func buildPage(_ build: BuildsConnector.Summary) async throws -> Response {
        let now = database.clock.now()
        let steps = try await database.steps.getSteps(buildid: build.id).filter { !$0.hidden }
        // A build has a handful of steps: one short statement each.
        var logs: [Int: [StepLog]] = [:]
        for step in steps { logs[step.id] = try await database.logs.getLogs(stepid: step.id) }
        let properties = try await database.builds.getBuildProperties(build.id)
        var buildset: Buildset?
        if let request = try await database.buildRequests.getBuildRequest(build.buildRequestID) {
            buildset = try await database.buildsets.getBuildset(request.buildsetID)
        }
        let stampIDs = buildset?.sourceStampIDs ?? []
        let stamps = try await database.sourceStamps.getSourceStamps(ids: stampIDs)
        let changes = try await database.changes.getChanges(sourceStampIDs: stampIDs, limit: Self.buildChangesLimit)
        let running = build.completeAt == nil
        let merged = try await mergedRequests(into: build)
        return page(
            "build", title: "\(build.builderName) #\(build.number)", section: "builders",
            feed: ["builds/*/*", "steps/*/*"], feedFilter: ["buildid": build.id],
            Self.context([
                "buildID": build.id, "number": build.number,
                "builder": build.builderName, "builderHref": "/builders/\(build.builderID)",
                "state": WebFormat.state(build.results, complete: !running), "stateString": build.stateString,
                "worker": build.workerName, "workerHref": build.workerID.map(Self.workerPath),
                "started": WebFormat.time(build.startedAt),
                "finished": build.completeAt.map(WebFormat.time),
                "duration": WebFormat.duration(from: build.startedAt, to: build.completeAt ?? now),
                "reason": buildset?.reason, "mergedRequests": merged,
                "running": running, "stopAction": "/ui/builds/\(build.id)/stop",
                "rebuildAction": "/ui/builds/\(build.id)/rebuild",
                "auditLink": WebForm.link("/audit", [("target", "build \(build.id)")]),
                "steps": steps.map { Self.stepRow($0, logs: logs[$0.id] ?? [], now: now) },
                "stepsEmpty": steps.isEmpty,
                "properties": properties.sorted { $0.key < $1.key }.map(Self.propertyRow),
                "propertiesEmpty": properties.isEmpty,
                "sourceStamps": stamps.map(Self.stampRow), "changes": changes.map(Self.buildChangeRow),
                "changesEmpty": changes.isEmpty,
            ]))
    }

    /// "#12, #13", the requests collapsed into `build` (and how many more there are), or `nil` for none. A build
    /// that ended RETRY handed them back: any collapsed into its request now belong to a later build.
    private func mergedRequests(into build: BuildsConnector.Summary) async throws -> String? {
        guard build.results != .retry else { return nil }
        let merged = try await database.buildRequests.getBuildRequests(
            try ResultSpec<BuildRequestField>(
                filters: [.equal(.collapsedInto, .int(build.buildRequestID))], limit: Self.buildMergedLimit))
        guard !merged.items.isEmpty else { return nil }
        let more = merged.total - merged.items.count
        return merged.items.map { "#\($0.id)" }.joined(separator: ", ") + (more > 0 ? " and \(more) more" : "")
    }

    private static func stepRow(_ step: BuildStep, logs: [StepLog], now: Date) -> [String: Any] {
        item([
            "stepNumber": step.number, "stepName": step.name,
            "stepState": WebFormat.state(
                step.results, complete: step.completeAt != nil, started: step.startedAt != nil),
            "stepStateString": step.stateString,
            "stepDuration": step.startedAt.map { WebFormat.duration(from: $0, to: step.completeAt ?? now) },
            "stepLogs": logs.map { log -> [String: Any] in ["logName": log.name, "logHref": "/logs/\(log.id)"] },
            // Stored links are http(s) only; checked again here, as a page must never carry another kind.
            "stepURLs": step.urls.filter { StepURL.isWebAddress($0.url) }.map { link -> [String: Any] in
                ["urlName": link.name, "urlHref": link.url]
            },
        ])
    }

    /// A property, given as `name: [value, source]`.
    private static func propertyRow(_ property: (key: String, value: JSONValue)) -> [String: Any] {
        item([
            "propertyName": property.key, "propertyValue": WebFormat.text(property.value.elements.first ?? .null),
            "propertySource": property.value.elements.dropFirst().first?.string,
        ])
    }

    private static func stampRow(_ stamp: SourceStamp) -> [String: Any] {
        item([
            "codebase": stamp.codebase.isEmpty ? nil : stamp.codebase, "repository": stamp.repository,
            "branch": stamp.branch, "revision": stamp.revision, "patched": stamp.patch != nil,
        ])
    }

    private static func buildChangeRow(_ change: Change) -> [String: Any] {
        item([
            "changeAuthor": change.author, "changeRevision": change.revision,
            "changeRevisionShort": change.revision.map { String($0.prefix(12)) },
            "changeRevlink": change.revlink.flatMap { $0.hasPrefix("http://") || $0.hasPrefix("https://") ? $0 : nil },
            "changeBranch": change.branch, "changeComments": change.comments,
            "changeWhen": WebFormat.time(change.when),
        ])
    }
}
