import GantryModel
import GantryStorage
import Hummingbird

extension HTTPAPI {
    /// `GET /api/v2/builders/{id or name}`, and what links builders, masters and workers, as Buildbot serves it:
    /// `/builders/{id}/masters`, `/builders/{id}/buildrequests` (with `property=`), `/builders/{id}/workers`,
    /// `/masters/{id}/builders`, `/masters/{id}/workers` and `/masters/{id}/builders/{builderid}/workers`, each
    /// with the query options of its collection. A worker is listed where it is configured.
    func addBuilderLinks(to router: Router<APIRequestContext>) {
        resource(
            "/api/v2/builders/{id}", key: "builders", keys: Self.builderKeys, of: BuilderField.self, on: router,
            noun: "builder"
        ) { [self] key in
            try await builder(key)?.resource
        }
        nestedCollection(
            "/api/v2/builders/{id}/masters", key: "masters", keys: Self.masterKeys, of: MasterField.self, on: router,
            noun: "builder"
        ) { [self] key, spec in
            guard let builder = try await self.builder(key) else { return nil }
            let page = try await database.masters.getMasters(spec, builderid: builder.id)
            return Page(items: page.items.map(\.resource), total: page.total)
        }
        propertiesCollection(
            "/api/v2/builders/{id}/buildrequests", key: "buildrequests", keys: Self.buildRequestKeys,
            of: BuildRequestField.self, on: router, noun: "builder"
        ) { [self] key, spec, properties in
            guard let builder = try await self.builder(key) else { return nil }
            let page = try await database.buildRequests.getBuildRequests(
                spec.narrowed(to: .builderid, .int(builder.id)))
            return Page(items: try await Self.buildRequestItems(page.items, properties, database), total: page.total)
        }
        nestedCollection(
            "/api/v2/builders/{id}/workers", key: "workers", keys: Self.workerKeys, of: WorkerField.self, on: router,
            noun: "builder"
        ) { [self] key, spec in
            guard let builder = try await self.builder(key) else { return nil }
            return Self.page(spec, try await database.workers.getWorkers(builderid: builder.id), \Worker.resource)
        }
        nestedCollection(
            "/api/v2/masters/{id}/builders", key: "builders", keys: Self.builderKeys, of: BuilderField.self,
            on: router, noun: "master"
        ) { [database] id, spec in
            guard let id = Int(id), try await database.masters.getMaster(id) != nil else { return nil }
            return Self.page(spec, try await database.builders.getBuilders(masterid: id), \Builder.resource)
        }
        nestedCollection(
            "/api/v2/masters/{id}/workers", key: "workers", keys: Self.workerKeys, of: WorkerField.self, on: router,
            noun: "master"
        ) { [database] id, spec in
            guard let id = Int(id), try await database.masters.getMaster(id) != nil else { return nil }
            return Self.page(spec, try await database.workers.getWorkers(masterid: id), \Worker.resource)
        }
        parameterizedCollection(
            "/api/v2/masters/{id}/builders/{builderid}/workers", key: "workers", keys: Self.workerKeys,
            of: WorkerField.self, on: router, withProperties: false
        ) { [self] parameters, spec, _ in
            let masterKey = parameters.get("id") ?? ""
            let builderKey = parameters.get("builderid") ?? ""
            guard let masterID = Int(masterKey), try await database.masters.getMaster(masterID) != nil else {
                throw GantryError(.notFound, "no master '\(masterKey)'")
            }
            guard let builder = try await self.builder(builderKey) else {
                throw GantryError(.notFound, "no builder '\(builderKey)'")
            }
            let workers = try await database.workers.getWorkers(masterid: masterID, builderid: builder.id)
            return Self.page(spec, workers, \Worker.resource)
        }
    }

    /// The builder with id or name `key`, as Buildbot finds one.
    func builder(_ key: String) async throws -> Builder? {
        let builders = try await database.builders.getBuilders()
        if let id = Int(key) { return builders.first { $0.id == id } }
        return builders.first { $0.name == key }
    }
}
