import Logging
import NIOCore
import SQLKit

/// A database whose statements are serialized with identifiers quoted as they are written, then handed to `base`
/// as finished text and binds.
///
/// SQLKit escapes the quote character inside every identifier it writes; that escaping was the largest single cost
/// of building a statement, a few percent of a master's CPU. Gantry's identifiers are its own table and column
/// names, none with a quote in it, so there is nothing to escape.
struct PlainIdentifierDatabase: SQLDatabase {
    let base: any SQLDatabase

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { PlainIdentifierDialect(base: base.dialect) }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<
        Void
    > {
        base.execute(sql: SerializedStatement(serialize(query)), onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try await base.execute(sql: SerializedStatement(serialize(query)), onRow)
    }
}

/// A statement serialized already: its text, with the placeholders of its dialect, and its binds in order.
private struct SerializedStatement: SQLExpression {
    let sql: String
    let binds: [any Encodable & Sendable]

    init(_ serialized: (sql: String, binds: [any Encodable & Sendable])) {
        sql = serialized.sql
        binds = serialized.binds
    }

    func serialize(to serializer: inout SQLSerializer) {
        serializer.write(sql)
        serializer.binds += binds
    }
}

/// `base`, whose identifiers are quoted without escaping (see ``PlainIdentifierDatabase``).
private struct PlainIdentifierDialect: SQLDialect {
    let base: any SQLDialect

    /// Not an `SQLRaw`, which is what makes SQLKit write the identifier between two of these as it is.
    private struct Quote: SQLExpression {
        let quote: any SQLExpression

        func serialize(to serializer: inout SQLSerializer) {
            quote.serialize(to: &serializer)
        }
    }

    var name: String { base.name }
    var identifierQuote: any SQLExpression { Quote(quote: base.identifierQuote) }
    var literalStringQuote: any SQLExpression { base.literalStringQuote }
    var supportsAutoIncrement: Bool { base.supportsAutoIncrement }
    var autoIncrementClause: any SQLExpression { base.autoIncrementClause }
    var autoIncrementFunction: (any SQLExpression)? { base.autoIncrementFunction }
    func bindPlaceholder(at position: Int) -> any SQLExpression { base.bindPlaceholder(at: position) }
    func literalBoolean(_ value: Bool) -> any SQLExpression { base.literalBoolean(value) }
    var literalDefault: any SQLExpression { base.literalDefault }
    var supportsIfExists: Bool { base.supportsIfExists }
    var enumSyntax: SQLEnumSyntax { base.enumSyntax }
    var supportsDropBehavior: Bool { base.supportsDropBehavior }
    var supportsReturning: Bool { base.supportsReturning }
    var triggerSyntax: SQLTriggerSyntax { base.triggerSyntax }
    var alterTableSyntax: SQLAlterTableSyntax { base.alterTableSyntax }
    func customDataType(for dataType: SQLDataType) -> (any SQLExpression)? { base.customDataType(for: dataType) }
    func normalizeSQLConstraint(identifier: any SQLExpression) -> any SQLExpression {
        base.normalizeSQLConstraint(identifier: identifier)
    }
    var upsertSyntax: SQLUpsertSyntax { base.upsertSyntax }
    var unionFeatures: SQLUnionFeatures { base.unionFeatures }
    var sharedSelectLockExpression: (any SQLExpression)? { base.sharedSelectLockExpression }
    var exclusiveSelectLockExpression: (any SQLExpression)? { base.exclusiveSelectLockExpression }
    func nestedSubpathExpression(in column: any SQLExpression, for path: [String]) -> (any SQLExpression)? {
        base.nestedSubpathExpression(in: column, for: path)
    }
}
