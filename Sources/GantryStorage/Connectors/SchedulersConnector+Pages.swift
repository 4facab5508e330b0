public import GantryModel
import SQLKit

extension SchedulersConnector {
    /// One page of schedulers by name, each with its claiming master, and how many there are in all.
    /// - Parameters:
    ///   - offset: How many schedulers to skip (negative counts as 0).
    ///   - limit: The most to return (negative counts as 0).
    public func getSchedulerPage(offset: Int, limit: Int) async throws -> Page<SchedulerInfo> {
        try await database.withTransaction { sql in
            let total =
                try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "total")
                .from("schedulers").first(decodingColumn: "total", as: Int.self) ?? 0
            let scheduler = { (column: String) in SQLColumn(column, table: "schedulers") }
            let rows = try await sql.select()
                .column(scheduler("id"), as: "id").column(scheduler("name"), as: "name")
                .column(scheduler("enabled"), as: "enabled")
                .column(SQLColumn("masterid", table: "scheduler_masters"), as: "masterid")
                .from("schedulers")
                .join(
                    "scheduler_masters", method: SQLJoinMethod.left,
                    on: SQLColumn("schedulerid", table: "scheduler_masters"), .equal, scheduler("id")
                )
                .orderBy(scheduler("name")).orderBy(scheduler("id"))
                .limit(max(limit, 0)).offset(max(offset, 0))
                .all()
            let items = try rows.map { row in
                SchedulerInfo(
                    id: try row.decode(column: "id", as: Int.self),
                    name: try row.decode(column: "name", as: String.self),
                    enabled: try row.decode(column: "enabled", as: Bool.self),
                    masterID: try row.decode(column: "masterid", as: Int?.self))
            }
            return Page(items: items, total: total)
        }
    }
}
