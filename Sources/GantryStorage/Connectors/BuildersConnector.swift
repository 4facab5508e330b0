public import GantryModel
import SQLKit

/// The `builders` table and `builder_masters`, the links saying which master runs which builder.
public struct BuildersConnector: Sendable {
    let database: Database

    /// The id of the builder called `name` (case-sensitive), registering it when new.
    public func findBuilderId(_ name: String) async throws -> Int {
        try await database.findOrCreateID(
            in: "builders", key: [("name_hash", NameHash.of(name))], extra: [("name", name)])
    }

    /// The ids of those of the builders called `names` that exist, by name. A builder's id and name never change,
    /// so the lookup needs no transaction, however many statements the names take.
    public func builderIDs(named names: [String]) async throws -> [String: Int] {
        let hashes = Set(names).map(NameHash.of)
        guard !hashes.isEmpty else { return [:] }
        return try await database.withStatement { sql in
            var ids: [String: Int] = [:]
            for batch in Batches.of(hashes) {
                for row in try await sql.select().columns("id", "name").from("builders")
                    .where("name_hash", .in, SQLBind.group(Array(batch))).all()
                {
                    ids[try row.decode(column: "name", as: String.self)] = try row.decode(column: "id", as: Int.self)
                }
            }
            return ids
        }
    }

    /// Afterwards `masterid` runs exactly `builderids`. Dropped links take their configured workers with them.
    public func updateBuilderList(_ masterid: Int, builderids: [Int]) async throws {
        let wanted = Set(builderids)
        try await database.withTransaction { sql in
            let current = Set(
                try await sql.select().column("builderid").from("builder_masters")
                    .where("masterid", .equal, masterid)
                    .all(decodingColumn: "builderid", as: Int.self)
            )
            try await sql.replaceLinks(
                in: "builder_masters",
                owner: ("masterid", masterid),
                target: "builderid",
                current: current,
                wanted: wanted
            )
        }
    }

    /// Sets the builder's description and tags, as its configuration says (Buildbot's `updateBuilderInfo`).
    public func updateBuilderInfo(_ builderid: Int, description: String?, tags: [String]) async throws {
        try await database.withTransaction { sql in
            try await sql.update("builders").set("description", to: description)
                .set("tags", to: JSONValue.array(tags.map(JSONValue.string)).jsonText).where("id", .equal, builderid)
                .run()
        }
    }

    /// Every builder, or only those `masterid` runs, by id, each with all the masters it is on.
    public func getBuilders(masterid: Int? = nil) async throws -> [Builder] {
        try await database.withTransaction { sql in
            let names = sql.select().columns("id", "name", "description", "tags").from("builders").orderBy("id")
            if let masterid {
                names.where(
                    SQLColumn("id"),
                    .in,
                    SQLGroupExpression(
                        sql.select().column("builderid").from("builder_masters").where("masterid", .equal, masterid)
                            .query
                    )
                )
            }
            let links = try await sql.select().columns("builderid", "masterid").from("builder_masters")
                .orderBy("masterid").all()
            var masters: [Int: [Int]] = [:]
            for link in links {
                masters[try link.decode(column: "builderid", as: Int.self), default: []]
                    .append(try link.decode(column: "masterid", as: Int.self))
            }
            return try await names.all().map { row in
                let id = try row.decode(column: "id", as: Int.self)
                var builder = Builder(
                    id: id, name: try row.decode(column: "name", as: String.self), masterIDs: masters[id] ?? [])
                builder.description = try row.decode(column: "description", as: String?.self)
                builder.tags = try JSONValue(json: try row.decode(column: "tags", as: String.self)).elements
                    .compactMap(\.string)
                return builder
            }
        }
    }
}

extension Database {
    /// The builders connector of this database.
    public var builders: BuildersConnector { BuildersConnector(database: self) }
}
