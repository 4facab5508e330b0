import GantryModel
import SQLKit

extension ResultSpec {
    /// Adds this spec's filters to `query`, naming each field's column with `column`.
    func applyFilters<Query: SQLPredicateBuilder>(
        to query: Query,
        dialect: Dialect,
        column: (Field) -> any SQLExpression
    ) {
        for filter in filters {
            let target = column(filter.field)
            let binds = filter.values.map(\.bind)
            switch filter.op {
            case .eq:
                query.where(target, .in, SQLGroupExpression(binds))
            case .ne:
                // NULL is "not equal" to every value, as in memory; SQL's NOT IN alone would drop it.
                query.where(
                    SQLGroupExpression(
                        SQLBinaryExpression(
                            SQLBinaryExpression(target, .notIn, SQLGroupExpression(binds)), .or,
                            SQLBinaryExpression(target, .is, SQLLiteral.null))))
            case .lt: query.where(target, .lessThan, binds[0])
            case .le: query.where(target, .lessThanOrEqual, binds[0])
            case .gt: query.where(target, .greaterThan, binds[0])
            case .ge: query.where(target, .greaterThanOrEqual, binds[0])
            case .contains:
                let needles = filter.values.compactMap(\.string)
                query.where(SQLGroupExpression(needles.map { dialect.contains(target, $0) }.joined(by: .or)))
            }
        }
    }

    /// Adds this spec's order (then `tieBreak`, ascending), limit and offset to `query`. NULL sorts first
    /// ascending and last descending on every database (PostgreSQL's default is the reverse), as in memory.
    func applyPaging(to query: SQLSelectBuilder, tieBreak: any SQLExpression, column: (Field) -> any SQLExpression) {
        for ordering in order {
            query.orderBy(
                SQLOrderBy(
                    expression: column(ordering.field),
                    direction: SQLRaw(ordering.descending ? "DESC NULLS LAST" : "ASC NULLS FIRST")))
        }
        query.orderBy(tieBreak, SQLDirection.ascending)
        // SQLite takes no OFFSET without a LIMIT.
        if let limit { query.limit(limit) } else if offset != nil { query.limit(Int.max) }
        if let offset { query.offset(offset) }
    }
}

extension QueryValue {
    var bind: any SQLExpression {
        switch self {
        case .int(let value): SQLBind(value)
        case .string(let value): SQLBind(value)
        case .bool(let value): SQLBind(value)
        }
    }

    var string: String? {
        if case .string(let value) = self { value } else { nil }
    }
}

extension Array where Element == any SQLExpression {
    /// The elements joined by a binary operator, e.g. `a OR b OR c`.
    func joined(by op: SQLBinaryOperator) -> any SQLExpression {
        dropFirst().reduce(self[0]) { SQLBinaryExpression(left: $0, op: op, right: $1) }
    }
}
