import Logging
import NIOCore
import NIOEmbedded
import SQLKit
import Testing

@testable import GantryStorage

@Suite("Plain identifiers: statements as SQLKit writes them, without the escaping")
struct PlainIdentifierDatabaseTests {
    /// A database that only serializes, in a dialect quoting as PostgreSQL and SQLite do, with upserts and
    /// numbered placeholders.
    private struct Serializing: SQLDatabase {
        struct Dialect: SQLDialect {
            var name: String { "test" }
            var identifierQuote: any SQLExpression { SQLRaw("\"") }
            var supportsAutoIncrement: Bool { true }
            var autoIncrementClause: any SQLExpression { SQLRaw("AUTOINCREMENT") }
            func bindPlaceholder(at position: Int) -> any SQLExpression { SQLRaw("$\(position)") }
            func literalBoolean(_ value: Bool) -> any SQLExpression { SQLRaw(value ? "TRUE" : "FALSE") }
            var supportsReturning: Bool { true }
            var upsertSyntax: SQLUpsertSyntax { .standard }
            var exclusiveSelectLockExpression: (any SQLExpression)? { SQLRaw("FOR UPDATE") }
        }

        var logger: Logger { Logger(label: "test") }
        var eventLoop: any EventLoop { EmbeddedEventLoop() }
        var dialect: any SQLDialect { Dialect() }

        func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void)
            -> EventLoopFuture<Void>
        {
            eventLoop.makeSucceededVoidFuture()
        }
    }

    @Test("selects, upserts and updates read the same, placeholders and binds included")
    func sameText() {
        let base = Serializing()
        let plain = PlainIdentifierDatabase(base: base)
        let statements: [(any SQLDatabase) -> any SQLExpression] = [
            { sql in
                sql.select().columns("id", "name").from("builds").join(
                    "steps", on: SQLColumn("buildid", table: "steps"), .equal, SQLColumn("id", table: "builds")
                )
                .where("id", .greaterThan, SQLBind(7)).where("name", .equal, SQLBind("x")).orderBy("id", .descending)
                .limit(5).lockingClause(SQLLockingClause.update).select
            },
            { sql in
                sql.insert(into: "build_properties").columns("buildid", "name", "value")
                    .values(SQLBind(1), SQLBind("a"), SQLBind("1")).values(SQLBind(1), SQLBind("b"), SQLBind("2"))
                    .onConflict(with: ["buildid", "name"]) { $0.set(excludedValueOf: "value") }.insert
            },
            { sql in sql.update("logs").set("complete", to: true).where("id", .equal, SQLBind(3)).update },
        ]
        for statement in statements {
            let expected = base.serialize(statement(base))
            let serialized = plain.serialize(statement(plain))
            #expect(serialized.sql == expected.sql)
            #expect(serialized.binds.map { "\($0)" } == expected.binds.map { "\($0)" })
        }
    }
}
