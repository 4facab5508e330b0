public import GantryModel
import SQLKit

extension SchedulersConnector {
    /// Records whether each change matters to the scheduler (`changeid: important`), replacing an earlier
    /// classification. A scheduler that fails over rebuilds its tree-stable timer from these.
    ///
    /// With a `fence`, nothing is written unless the caller still holds the scheduler; `state` is written in the
    /// same transaction (a scheduler records there how far it has read the changes).
    public func classifyChanges(
        _ schedulerid: Int,
        _ classifications: [Int: Bool],
        fence: ClaimFence? = nil,
        state: [StateWrite] = []
    ) async throws {
        guard !classifications.isEmpty || !state.isEmpty else { return }
        let dialect = database.dialect
        try await database.withTransaction { sql in
            if let fence { try await ServiceClaims(kind: fence.kind, dialect: dialect).requireCurrent(fence, in: sql) }
            for write in state { try await write.write(in: sql) }
            for (changeid, important) in classifications.sorted(by: { $0.key < $1.key }) {
                try await sql.insert(into: "scheduler_changes")
                    .columns("schedulerid", "changeid", "important")
                    .values(SQLBind(schedulerid), SQLBind(changeid), SQLBind(important))
                    .onConflict(with: ["schedulerid", "changeid"]) { $0.set(excludedValueOf: "important") }
                    .run()
            }
        }
    }

    /// Forgets the classifications of the given changes, in the caller's transaction.
    static func flush(_ schedulerid: Int, changeIDs: [Int], in sql: any SQLDatabase) async throws {
        for batch in Batches.of(changeIDs) {
            try await sql.delete(from: "scheduler_changes").where("schedulerid", .equal, schedulerid)
                .where("changeid", .in, SQLBind.group(Array(batch))).run()
        }
    }

    /// Forgets the scheduler's classifications, or only those of changes older than `lessThan`.
    public func flushChangeClassifications(_ schedulerid: Int, lessThan: Int? = nil) async throws {
        try await database.withTransaction { sql in
            let delete = sql.delete(from: "scheduler_changes").where("schedulerid", .equal, schedulerid)
            if let lessThan { delete.where("changeid", .lessThan, lessThan) }
            try await delete.run()
        }
    }

    /// The scheduler's classifications as `changeid: important`, optionally only of changes on a branch
    /// (`.some(nil)` is the default branch), repository, project or codebase.
    public func getChangeClassifications(
        _ schedulerid: Int,
        branch: String?? = nil,
        repository: String? = nil,
        project: String? = nil,
        codebase: String? = nil
    ) async throws -> [Int: Bool] {
        try await database.withTransaction { sql in
            let query = sql.select()
                .column(SQLColumn("changeid", table: "scheduler_changes")).column("important")
                .from("scheduler_changes")
                .join(
                    "changes", on: SQLColumn("changeid", table: "changes"), .equal,
                    SQLColumn("changeid", table: "scheduler_changes")
                )
                .where("schedulerid", .equal, schedulerid)
            switch branch {
            case .none: break
            case .some(.none): query.where("branch", .is, SQLLiteral.null)
            case .some(.some(let name)): query.where("branch", .equal, name)
            }
            if let repository { query.where("repository", .equal, repository) }
            if let project { query.where("project", .equal, project) }
            if let codebase { query.where("codebase", .equal, codebase) }
            var result: [Int: Bool] = [:]
            for row in try await query.all() {
                result[try row.decode(column: "changeid", as: Int.self)] = try row.decode(
                    column: "important", as: Bool.self)
            }
            return result
        }
    }
}
