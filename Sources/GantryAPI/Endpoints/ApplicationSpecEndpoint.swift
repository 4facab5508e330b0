import GantryModel
import Hummingbird

extension HTTPAPI {
    /// The routes of Buildbot's data API that Gantry serves, by path; Gantry's own routes (pools, reporters,
    /// locks, the audit log, the event feed) are not Buildbot's and are not listed. A test asks for every one.
    static let dataRoutes: [DataRoute] = [
        DataRoute("application.spec", "specs", .specification),
        DataRoute("builders", "builders", .builder),
        DataRoute("builders/:builderid/forceschedulers", "forceschedulers", .forceScheduler),
        DataRoute("builders/n:builderid", "builders", .builder),
        DataRoute("builders/n:builderid/buildrequests", "buildrequests", .buildRequest),
        DataRoute("builders/n:builderid/builds", "builds", .build),
        DataRoute("builders/n:builderid/builds/n:build_number", "builds", .build),
        DataRoute("builders/n:builderid/masters", "masters", .master),
        DataRoute("builders/n:builderid/workers", "workers", .worker),
        DataRoute("builders/s:buildername", "builders", .builder),
        DataRoute("builders/s:buildername/builds/n:build_number", "builds", .build),
        DataRoute("buildrequests", "buildrequests", .buildRequest),
        DataRoute("buildrequests/n:buildrequestid", "buildrequests", .buildRequest),
        DataRoute("buildrequests/n:buildrequestid/builds", "builds", .build),
        DataRoute("builds", "builds", .build),
        DataRoute("builds/n:buildid", "builds", .build),
        DataRoute("builds/n:buildid/changes", "changes", .change),
        DataRoute("builds/n:buildid/properties", "properties", .sourcedproperties),
        DataRoute("builds/n:buildid/steps", "steps", .step),
        DataRoute("builds/n:buildid/steps/i:step_name", "steps", .step),
        DataRoute("builds/n:buildid/steps/n:step_number", "steps", .step),
        DataRoute("buildsets", "buildsets", .buildset),
        DataRoute("buildsets/n:bsid", "buildsets", .buildset),
        DataRoute("buildsets/n:bsid/properties", "properties", .sourcedproperties),
        DataRoute("changes", "changes", .change),
        DataRoute("changes/n:changeid", "changes", .change),
        DataRoute("changes/n:changeid/builds", "builds", .build),
        DataRoute("changesources", "changesources", .changeSource),
        DataRoute("changesources/n:changesourceid", "changesources", .changeSource),
        DataRoute("codebases", "codebases", .codebase),
        DataRoute("forceschedulers", "forceschedulers", .forceScheduler),
        DataRoute("forceschedulers/i:schedulername", "forceschedulers", .forceScheduler),
        DataRoute("logs/n:logid", "logs", .log),
        DataRoute("logs/n:logid/contents", "logchunks", .logChunk),
        DataRoute("logs/n:logid/raw", "logchunks", .logChunk),
        DataRoute("logs/n:logid/raw_inline", "logchunks", .logChunk),
        DataRoute("masters", "masters", .master),
        DataRoute("masters/n:masterid", "masters", .master),
        DataRoute("masters/n:masterid/builders", "builders", .builder),
        DataRoute("masters/n:masterid/builders/n:builderid/workers", "workers", .worker),
        DataRoute("masters/n:masterid/workers", "workers", .worker),
        DataRoute("projects", "projects", .project),
        DataRoute("schedulers", "schedulers", .scheduler),
        DataRoute("schedulers/n:schedulerid", "schedulers", .scheduler),
        DataRoute("sourcestamps", "sourcestamps", .sourceStamp),
        DataRoute("sourcestamps/n:ssid", "sourcestamps", .sourceStamp),
        DataRoute("steps/n:stepid", "steps", .step),
        DataRoute("steps/n:stepid/logs", "logs", .log),
        DataRoute("test_result_sets", "test_result_sets", .testResultSet),
        DataRoute("workers", "workers", .worker),
        DataRoute("workers/i:name", "workers", .worker),
        DataRoute("workers/n:workerid", "workers", .worker),
        DataRoute("workers/n:workerid/builds", "builds", .build),
    ]

    /// `GET /api/v2/application.spec`: Buildbot's description of the data API, the routes Gantry serves with the
    /// types of their items. It takes no query options.
    func addApplicationSpec(to router: Router<APIRequestContext>) {
        router.get("/api/v2/application.spec") { request, _ -> Response in
            await APIResponse.answering(logger: logger) {
                if let option = Self.options(of: request).first {
                    throw GantryError(.invalidArgument, "unknown query option '\(option.key)'; the spec takes none")
                }
                let specs = Self.dataRoutes.map(\.spec)
                return APIResponse.collection("specs", specs, total: specs.count, fields: nil)
            }
        }
    }
}
