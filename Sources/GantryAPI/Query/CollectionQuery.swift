import GantryModel

/// The query options of a data-API request, read as Buildbot reads them: `limit`, `offset`, `order` (`-name`
/// for descending, repeatable), `field` (repeatable: return only these keys), and filters `name=value` or
/// `name__op=value` (a repeated filter takes several values). Anything else is refused, so a misspelt option
/// is an error rather than a silently unfiltered answer. Collections whose items have properties also take
/// `property` (repeatable; `*` for all), Buildbot's way of asking for them.
struct CollectionQuery<Field: QueryField>: Sendable {
    var spec: ResultSpec<Field>
    /// The keys to keep in each item; `nil` keeps them all.
    var fields: Set<String>?
    /// The properties asked for; `nil` when none were.
    var properties: PropertySelection?

    /// Parses `options` (in request order) for a collection whose items have `keys` (and properties, when
    /// `withProperties`).
    init(_ options: [(key: String, value: String)], keys: Set<String>, withProperties: Bool = false)
        throws(GantryError)
    {
        var limit: Int?
        var offset: Int?
        var order: [Ordering<Field>] = []
        var fields: Set<String>?
        var properties: PropertySelection?
        var filterValues: [FilterKey: [String]] = [:]
        var filterOrder: [FilterKey] = []
        for (key, value) in options {
            switch key {
            case "limit":
                limit = try Self.count(value, for: key)
            case "offset":
                offset = try Self.count(value, for: key)
            case "order":
                let descending = value.hasPrefix("-")
                order.append(
                    Ordering(try Self.field(String(value.dropFirst(descending ? 1 : 0))), descending: descending))
            case "field":
                guard keys.contains(value) else {
                    throw GantryError(.invalidArgument, "unknown field '\(value)'")
                }
                fields = (fields ?? []).union([value])
            case "property" where withProperties:
                properties = try Self.selecting(value, adding: properties)
            default:
                let filterKey = try FilterKey(parsing: key)
                if filterValues[filterKey] == nil { filterOrder.append(filterKey) }
                filterValues[filterKey, default: []].append(value)
            }
        }
        var filters: [Filter<Field>] = []
        for filterKey in filterOrder {
            let field = try Self.field(filterKey.field, option: filterKey.text)
            // `contains` takes text whatever the field; Filter says whether the field allows it.
            let kind = filterKey.op == .contains ? .string : field.valueType
            var values: [QueryValue] = []
            for text in filterValues[filterKey] ?? [] {
                guard let value = QueryValue(parsing: text, as: kind) else {
                    throw GantryError(
                        .invalidArgument, "'\(filterKey.text)' needs \(field.valueType.rawValue) values, not '\(text)'")
                }
                values.append(value)
            }
            filters.append(try Filter(field, filterKey.op, values))
        }
        self.spec = try ResultSpec(filters: filters, order: order, limit: limit, offset: offset)
        self.fields = fields
        self.properties = properties
    }

    /// `selection` with the property `name` asked for too (`*`: all of them).
    private static func selecting(_ name: String, adding selection: PropertySelection?) throws(GantryError)
        -> PropertySelection
    {
        guard !name.isEmpty else { throw GantryError(.invalidArgument, "'property' needs a name, or * for all") }
        switch (name, selection) {
        case ("*", _), (_, .some(.all)): return .all
        case (_, .some(.named(let names))):
            let more = names.union([name])
            guard more.count <= PropertySelection.mostNames else {
                throw GantryError(
                    .invalidArgument, "at most \(PropertySelection.mostNames) properties may be asked for at once")
            }
            return .named(more)
        case (_, nil): return .named([name])
        }
    }

    private static func count(_ text: String, for option: String) throws(GantryError) -> Int {
        guard let value = Int(text), value >= 0 else {
            throw GantryError(.invalidArgument, "'\(option)' must be a whole number of at least 0, not '\(text)'")
        }
        return value
    }

    private static func field(_ name: String, option: String? = nil) throws(GantryError) -> Field {
        guard let field = Field(rawValue: name) else {
            let known = Field.allCases.map(\.rawValue).joined(separator: ", ")
            throw GantryError(
                .invalidArgument, "unknown query option '\(option ?? name)' (filterable fields: \(known))")
        }
        return field
    }
}

/// A filter's key, `name` or `name__op`.
private struct FilterKey: Hashable {
    var field: String
    var op: FilterOperator
    var text: String

    init(parsing text: String) throws(GantryError) {
        self.text = text
        let parts = text.split(separator: "__", maxSplits: 1, omittingEmptySubsequences: false)
        field = String(parts[0])
        if parts.count == 2 {
            guard let op = FilterOperator(rawValue: String(parts[1])) else {
                let known = FilterOperator.allCases.map(\.rawValue).joined(separator: ", ")
                throw GantryError(.invalidArgument, "unknown filter operator in '\(text)' (operators: \(known))")
            }
            self.op = op
        } else {
            op = .eq
        }
    }
}
