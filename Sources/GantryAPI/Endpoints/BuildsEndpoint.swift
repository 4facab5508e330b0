import Foundation
import GantryModel
import GantryStorage
import Hummingbird

extension HTTPAPI {
    static let builderKeys: Set<String> = [
        "builderid", "name", "masterids", "description", "description_format", "description_html", "projectid", "tags",
    ]
    static let buildKeys: Set<String> = [
        "buildid", "number", "builderid", "buildrequestid", "workerid", "masterid", "started_at", "complete_at",
        "complete", "state_string", "results", "properties", "locks_duration_s",
    ]
    static let stepKeys: Set<String> = [
        "stepid", "number", "name", "buildid", "started_at", "complete_at", "complete", "state_string", "results",
        "hidden", "urls", "locks_acquired_at",
    ]
    static let logKeys: Set<String> = ["logid", "name", "slug", "stepid", "complete", "num_lines", "type"]

    /// `GET /api/v2/builders`, `/builders/{id}/builds`, `/builds`, `/builds/{id}` (these three with `property=`),
    /// `/builds/{id}/properties`, `/builds/{id}/steps`, `/steps/{id}/logs`, `/logs/{id}` and `/logs/{id}/contents`
    /// (Buildbot's `logchunks`).
    func addBuilds(to router: Router<APIRequestContext>) {
        collection("/api/v2/builders", key: "builders", keys: Self.builderKeys, of: BuilderField.self, on: router) {
            [database] spec in
            let page = spec.select(from: try await database.builders.getBuilders()) { $1.value(of: $0) }
            return Page(items: page.items.map(\.resource), total: page.total)
        }
        propertiesCollection(
            "/api/v2/builders/{id}/builds", key: "builds", keys: Self.buildKeys, of: BuildField.self, on: router,
            noun: "builder"
        ) { [self] key, spec, properties in
            // By id or by name, as the builder's other routes.
            guard let builder = try await self.builder(key) else { return nil }
            let page = try await database.builds.getBuilds(spec, builderid: builder.id)
            return Page(items: try await Self.buildItems(page.items, properties, database), total: page.total)
        }
        propertiesCollection(
            "/api/v2/builds", key: "builds", keys: Self.buildKeys, of: BuildField.self, on: router, noun: ""
        ) { [database] _, spec, properties in
            let page = try await database.builds.getBuilds(spec)
            return Page(items: try await Self.buildItems(page.items, properties, database), total: page.total)
        }
        propertiesCollection(
            "/api/v2/builds/{id}", key: "builds", keys: Self.buildKeys, of: BuildField.self, on: router, noun: "build"
        ) { [database] id, _, properties in
            guard let id = Int(id), let build = try await database.builds.getBuild(id) else { return nil }
            return Page(items: try await Self.buildItems([build], properties, database), total: 1)
        }
        propertiesResource("/api/v2/builds/{id}/properties", on: router, noun: "build") { [database] id in
            guard let id = Int(id), try await database.builds.getBuild(id) != nil else { return nil }
            return try await database.builds.getBuildProperties(id)
        }
        nestedCollection(
            "/api/v2/builds/{id}/steps", key: "steps", keys: Self.stepKeys, of: StepField.self, on: router,
            noun: "build"
        ) { [database] id, spec in
            guard let id = Int(id), try await database.builds.getBuild(id) != nil else { return nil }
            return Self.page(spec, try await database.steps.getSteps(buildid: id), \BuildStep.resource)
        }
        nestedCollection(
            "/api/v2/steps/{id}/logs", key: "logs", keys: Self.logKeys, of: LogField.self, on: router, noun: "step"
        ) { [database] id, spec in
            guard let id = Int(id), try await database.steps.getStep(id) != nil else { return nil }
            return Self.page(spec, try await database.logs.getLogs(stepid: id), \StepLog.resource)
        }
        resource("/api/v2/logs/{id}", key: "logs", keys: Self.logKeys, of: LogField.self, on: router, noun: "log") {
            [database] id in
            guard let id = Int(id) else { return nil }
            return try await database.logs.getLog(id).map(\.resource)
        }
        // `offset` and `limit` are line numbers, as Buildbot's logchunks take them: a client tails a live log by
        // asking from the line after the last it has until the log is complete.
        router.get("/api/v2/logs/{id}/contents") { [database] request, context -> Response in
            await APIResponse.answering(logger: logger) {
                var first = 0
                var limit: Int?
                for (key, value) in Self.options(of: request) {
                    guard let number = Int(value), number >= 0, key == "offset" || key == "limit" else {
                        throw GantryError(
                            .invalidArgument, "unknown option or value '\(key)=\(value)'; use offset=N and limit=N")
                    }
                    if key == "offset" { first = number } else { limit = number }
                }
                let (log, text) = try await Self.logText(
                    context.parameters.get("id"), first: first, limit: limit, database: database)
                let chunk: JSONValue = [
                    "logid": .number(Double(log.id)), "firstline": .number(Double(first)), "content": .string(text),
                ]
                return APIResponse.collection("logchunks", [chunk], total: 1, fields: nil)
            }
        }
    }

    /// The resources of `builds`, each with the properties asked for (all read at once), if any were.
    static func buildItems(_ builds: [Build], _ selection: PropertySelection?, _ database: Database)
        async throws -> [JSONValue]
    {
        guard let selection else { return builds.map(\.resource) }
        let properties = try await database.builds.getBuildProperties(
            buildids: builds.map(\.id), selecting: selection)
        return builds.map { adding(properties: properties[$0.id] ?? [:], to: $0.resource) }
    }

    /// The log `id` names; `GantryError.notFound` (404) when it names none.
    static func log(_ id: String?, database: Database) async throws -> StepLog {
        guard let id = id.flatMap(Int.init) else { throw GantryError(.notFound, "no log '\(id ?? "")'") }
        guard let log = try await database.logs.getLog(id) else { throw GantryError(.notFound, "no log '\(id)'") }
        return log
    }

    /// The log `id` names, with its lines from `first` on (`limit` of them at most, all when nil).
    /// The most text one `/contents` answer holds (always at least one whole line): a client asks again from the
    /// line after the last it got, as it does to tail a running log.
    static let contentsLimit = 8 << 20

    private static func logText(_ id: String?, first: Int = 0, limit: Int? = nil, database: Database) async throws
        -> (StepLog, String)
    {
        let log = try await log(id, database: database)
        let last = min(log.numLines, limit.map { first.addingSaturated($0) } ?? log.numLines) - 1
        guard last >= first else { return (log, "") }
        return (log, try await database.logs.getLogLines(log.id, first: first, last: last, maxBytes: contentsLimit))
    }

    /// One page of `items` (a collection read whole) as `spec` asks, each shown by `item`.
    static func page<Item: Sendable, Field: QueryField>(
        _ spec: ResultSpec<Field>,
        _ items: [Item],
        _ item: (Item) -> JSONValue
    ) -> Page<JSONValue> where Field: ItemField, Field.Item == Item {
        let page = spec.select(from: items) { $1.value(of: $0) }
        return Page(items: page.items.map(item), total: page.total)
    }
}
