import SQLKit

extension StepsConnector {
    /// What each of `buildids` is doing now: the name and state string of its latest started, unfinished step,
    /// by build id (builds between steps are left out). One statement per batch of builds.
    public func getCurrentSteps(buildids: [Int]) async throws -> [Int: (name: String, stateString: String)] {
        let ids = Array(Set(buildids))
        guard !ids.isEmpty else { return [:] }
        return try await database.withTransaction { sql in
            var current: [Int: (name: String, stateString: String)] = [:]
            for batch in Batches.of(ids) {
                // By number, so the latest started step of a build is the last one kept.
                for row in try await sql.select().columns("buildid", "name", "state_string").from("steps")
                    .where("buildid", .in, SQLBind.group(Array(batch)))
                    .where(SQLColumn("started_at"), .isNot, SQLLiteral.null)
                    .where(SQLColumn("complete_at"), .is, SQLLiteral.null)
                    .orderBy("number").all()
                {
                    current[try row.decode(column: "buildid", as: Int.self)] = (
                        try row.decode(column: "name", as: String.self),
                        try row.decode(column: "state_string", as: String.self)
                    )
                }
            }
            return current
        }
    }
}
