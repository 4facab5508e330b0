public import GantryModel
import SQLKit

extension WorkersConnector {
    /// Which workers a listing shows.
    public enum Selection: String, Sendable, CaseIterable {
        case all
        /// Connected to at least one master.
        case connected
        /// Connected to no master.
        case disconnected
        case paused
    }

    /// A worker as a listing shows it: its control state, where it is connected, how many builders it serves and
    /// what it builds now.
    public struct Listed: Sendable, Hashable {
        public var id: Int
        public var name: String
        public var paused: Bool
        public var pauseReason: String?
        public var graceful: Bool
        /// A kill was asked for and the worker has not gone yet.
        public var killRequested: Bool
        /// The ids of the masters it is connected to, ascending.
        public var connectedTo: [Int]
        /// The distinct builders it is configured on, on any master.
        public var builderCount: Int
        /// The builds it runs now, oldest first.
        public var runningBuilds: [RunningBuild]
    }

    /// An unfinished build, named by its builder and number.
    public struct RunningBuild: Sendable, Hashable {
        public var id: Int
        public var number: Int
        public var builderID: Int
        public var builderName: String
    }

    /// One page of the workers `selection` picks, by name, and how many it picks in all. Each part is one grouped
    /// query over the page's workers, so a page costs the same however many workers there are.
    /// - Parameters:
    ///   - offset: How many workers to skip (negative counts as 0).
    ///   - limit: The most to return (negative counts as 0).
    public func getWorkerPage(_ selection: Selection = .all, offset: Int, limit: Int) async throws -> Page<Listed> {
        try await database.withTransaction { sql in
            let connected = SQLGroupExpression(sql.select().column("workerid").from("connected_workers").query)
            func selected(_ query: SQLSelectBuilder) -> SQLSelectBuilder {
                switch selection {
                case .all: break
                case .connected: query.where(SQLColumn("id"), .in, connected)
                case .disconnected: query.where(SQLColumn("id"), .notIn, connected)
                case .paused: query.where("paused", .equal, true)
                }
                return query
            }
            let total =
                try await selected(
                    sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "total").from("workers")
                ).first(decodingColumn: "total", as: Int.self) ?? 0
            let rows = try await selected(
                sql.select().columns("id", "name", "paused", "pause_reason", "graceful", "kill_requested")
                    .from("workers")
            ).orderBy("name").orderBy("id").limit(max(limit, 0)).offset(max(offset, 0)).all()
            let ids = try rows.map { try $0.decode(column: "id", as: Int.self) }
            guard !ids.isEmpty else { return Page(items: [], total: total) }
            let connections = try await Self.connections(of: ids, in: sql)
            let builderCounts = try await Self.builderCounts(of: ids, in: sql)
            let builds = try await Self.runningBuilds(of: ids, in: sql)
            let items = try rows.map { row in
                let id = try row.decode(column: "id", as: Int.self)
                return Listed(
                    id: id, name: try row.decode(column: "name", as: String.self),
                    paused: try row.decode(column: "paused", as: Bool.self),
                    pauseReason: try row.decode(column: "pause_reason", as: String?.self),
                    graceful: try row.decode(column: "graceful", as: Bool.self),
                    killRequested: try row.decode(column: "kill_requested", as: Bool.self),
                    connectedTo: connections[id] ?? [], builderCount: builderCounts[id] ?? 0,
                    runningBuilds: builds[id] ?? [])
            }
            return Page(items: items, total: total)
        }
    }

    private static func connections(of ids: [Int], in sql: any SQLDatabase) async throws -> [Int: [Int]] {
        var connections: [Int: [Int]] = [:]
        for row in try await sql.select().columns("workerid", "masterid").from("connected_workers")
            .where("workerid", .in, SQLBind.group(ids)).orderBy("masterid").all()
        {
            connections[try row.decode(column: "workerid", as: Int.self), default: []]
                .append(try row.decode(column: "masterid", as: Int.self))
        }
        return connections
    }

    private static func builderCounts(of ids: [Int], in sql: any SQLDatabase) async throws -> [Int: Int] {
        let worker = SQLColumn("workerid", table: "configured_workers")
        var counts: [Int: Int] = [:]
        for row in try await sql.select()
            .column(worker, as: "workerid")
            .column(
                SQLFunction("COUNT", args: SQLDistinct(SQLColumn("builderid", table: "builder_masters"))),
                as: "builders"
            )
            .from("configured_workers")
            .join(
                "builder_masters", on: SQLColumn("id", table: "builder_masters"), .equal,
                SQLColumn("buildermasterid", table: "configured_workers")
            )
            .where(worker, .in, SQLBind.group(ids))
            .groupBy(worker)
            .all()
        {
            counts[try row.decode(column: "workerid", as: Int.self)] = try row.decode(column: "builders", as: Int.self)
        }
        return counts
    }

    private static func runningBuilds(of ids: [Int], in sql: any SQLDatabase) async throws -> [Int: [RunningBuild]] {
        let build = { (column: String) in SQLColumn(column, table: "builds") }
        var builds: [Int: [RunningBuild]] = [:]
        for row in try await sql.select()
            .column(build("id"), as: "id").column(build("number"), as: "number")
            .column(build("builderid"), as: "builderid").column(build("workerid"), as: "workerid")
            .column(SQLColumn("name", table: "builders"), as: "buildername")
            .from("builds")
            .join("builders", on: SQLColumn("id", table: "builders"), .equal, build("builderid"))
            .where(build("workerid"), .in, SQLBind.group(ids))
            .where(build("complete_at"), .is, SQLLiteral.null)
            .orderBy(build("id"))
            .all()
        {
            builds[try row.decode(column: "workerid", as: Int.self), default: []].append(
                RunningBuild(
                    id: try row.decode(column: "id", as: Int.self),
                    number: try row.decode(column: "number", as: Int.self),
                    builderID: try row.decode(column: "builderid", as: Int.self),
                    builderName: try row.decode(column: "buildername", as: String.self)))
        }
        return builds
    }
}
