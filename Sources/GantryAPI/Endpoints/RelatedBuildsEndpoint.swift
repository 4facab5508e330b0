import GantryModel
import GantryStorage
import Hummingbird

extension HTTPAPI {
    /// `GET /api/v2/builders/{id or name}/builds/{number}`, and the builds of a worker (`/workers/{id or
    /// name}/builds`), a build request (`/buildrequests/{id}/builds`) and a change (`/changes/{id}/builds`: those of
    /// buildsets with its source stamp), all with `property=` and the query options of `/builds`.
    func addRelatedBuilds(to router: Router<APIRequestContext>) {
        parameterizedCollection(
            "/api/v2/builders/{id}/builds/{number}", key: "builds", keys: Self.buildKeys, of: BuildField.self,
            on: router, withProperties: true
        ) { [self] parameters, _, properties in
            let key = parameters.get("id") ?? ""
            let text = parameters.get("number") ?? ""
            guard let builder = try await self.builder(key) else {
                throw GantryError(.notFound, "no builder '\(key)'")
            }
            guard let number = Int(text),
                let build = try await database.builds.getBuilds(
                    ResultSpec<BuildField>().narrowed(to: .number, .int(number)), builderid: builder.id
                ).items.first
            else { throw GantryError(.notFound, "builder '\(key)' has no build '\(text)'") }
            return Page(items: try await Self.buildItems([build], properties, database), total: 1)
        }
        propertiesCollection(
            "/api/v2/workers/{id}/builds", key: "builds", keys: Self.buildKeys, of: BuildField.self, on: router,
            noun: "worker"
        ) { [self] key, spec, properties in
            guard let worker = try await self.worker(key) else { return nil }
            return try await buildPage(spec.narrowed(to: .workerid, .int(worker.id)), properties)
        }
        propertiesCollection(
            "/api/v2/buildrequests/{id}/builds", key: "builds", keys: Self.buildKeys, of: BuildField.self,
            on: router, noun: "build request"
        ) { [self] id, spec, properties in
            guard let id = Int(id), try await database.buildRequests.getBuildRequest(id) != nil else { return nil }
            return try await buildPage(spec.narrowed(to: .buildrequestid, .int(id)), properties)
        }
        propertiesCollection(
            "/api/v2/changes/{id}/builds", key: "builds", keys: Self.buildKeys, of: BuildField.self, on: router,
            noun: "change"
        ) { [self] id, spec, properties in
            guard let id = Int(id), try await database.changes.getChange(id) != nil else { return nil }
            return try await buildPage(spec, properties, changeid: id)
        }
    }

    /// One page of builds as `spec` asks (of change `changeid` when given), with the properties asked for.
    private func buildPage(_ spec: ResultSpec<BuildField>, _ properties: PropertySelection?, changeid: Int? = nil)
        async throws -> Page<JSONValue>
    {
        let page = try await database.builds.getBuilds(spec, changeid: changeid)
        return Page(items: try await Self.buildItems(page.items, properties, database), total: page.total)
    }
}
