import SQLKit

extension SQLDatabase {
    /// Makes the link rows of `table` that belong to `owner` point at exactly `wanted`, given the `current` ones:
    /// deletes the surplus and inserts the missing, in bounded batches, leaving unchanged rows alone.
    func replaceLinks(
        in table: String,
        owner: (column: String, value: Int),
        target: String,
        current: Set<Int>,
        wanted: Set<Int>
    ) async throws {
        for batch in Batches.of(current.subtracting(wanted).sorted()) {
            try await delete(from: table)
                .where(SQLIdentifier(owner.column), .equal, SQLBind(owner.value))
                .where(SQLIdentifier(target), .in, SQLBind.group(Array(batch)))
                .run()
        }
        for batch in Batches.of(wanted.subtracting(current).sorted()) {
            let insert = insert(into: table).columns(target, owner.column)
            for value in batch { insert.values(SQLBind(value), SQLBind(owner.value)) }
            try await insert.run()
        }
    }
}
