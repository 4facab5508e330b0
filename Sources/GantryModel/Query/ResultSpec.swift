/// A field of a collection that queries may filter and order on.
///
/// The raw value is the field's name in the HTTP API (Buildbot's data-API name).
public protocol QueryField: Sendable, Hashable, CaseIterable, RawRepresentable where RawValue == String {
    /// The type its filter values must have.
    var valueType: QueryValue.Kind { get }
}

/// A typed filter value.
public enum QueryValue: Sendable, Hashable {
    case int(Int)
    case string(String)
    case bool(Bool)

    /// The type of a value, so a textual value can be parsed for its field.
    public enum Kind: String, Sendable {
        case int, string, bool
    }

    /// Parses `text` as a value of `kind`; `nil` when it does not fit.
    public init?(parsing text: String, as kind: Kind) {
        switch kind {
        case .int:
            guard let value = Int(text) else { return nil }
            self = .int(value)
        case .string:
            self = .string(text)
        case .bool:
            switch text.lowercased() {
            case "true", "1", "yes", "on": self = .bool(true)
            case "false", "0", "no", "off": self = .bool(false)
            default: return nil
            }
        }
    }

    var kind: Kind {
        switch self {
        case .int: .int
        case .string: .string
        case .bool: .bool
        }
    }
}

/// How a filter compares a field with its values, as in Buildbot's `field__op=value`.
public enum FilterOperator: String, Sendable, CaseIterable {
    /// Equal to one of the values.
    case eq
    /// Equal to none of the values.
    case ne
    case lt, le, gt, ge
    /// A string field containing one of the values.
    case contains
}

/// One condition of a query.
public struct Filter<Field: QueryField>: Sendable, Hashable {
    public var field: Field
    public var op: FilterOperator
    public var values: [QueryValue]

    /// Creates a filter; throws when a value's type does not match the field, when an ordering operator
    /// gets other than one value, or when `contains` is used on a non-string field.
    public init(_ field: Field, _ op: FilterOperator = .eq, _ values: [QueryValue]) throws(GantryError) {
        guard !values.isEmpty else {
            throw GantryError(.invalidArgument, "filter on '\(field.rawValue)' has no value")
        }
        switch op {
        case .lt, .le, .gt, .ge:
            guard values.count == 1 else {
                throw GantryError(.invalidArgument, "filter '\(field.rawValue)__\(op.rawValue)' takes one value")
            }
        case .contains:
            guard field.valueType == .string else {
                throw GantryError(.invalidArgument, "filter 'contains' needs a string field, not '\(field.rawValue)'")
            }
        case .eq, .ne:
            break
        }
        for value in values where value.kind != field.valueType {
            throw GantryError(
                .invalidArgument, "filter on '\(field.rawValue)' needs \(field.valueType.rawValue) values")
        }
        self.field = field
        self.op = op
        self.values = values
    }

    /// Shorthand for the common `field = value` filter.
    public static func equal(_ field: Field, _ value: QueryValue) throws(GantryError) -> Self {
        try Self(field, .eq, [value])
    }
}

/// One sort key of a query.
public struct Ordering<Field: QueryField>: Sendable, Hashable {
    public var field: Field
    public var descending: Bool

    public init(_ field: Field, descending: Bool = false) {
        self.field = field
        self.descending = descending
    }
}

/// Filters, order and paging for a collection query.
public struct ResultSpec<Field: QueryField>: Sendable, Hashable {
    public var filters: [Filter<Field>]
    public var order: [Ordering<Field>]
    public var limit: Int?
    public var offset: Int?

    /// Everything, in the collection's natural order.
    public init() {
        self.filters = []
        self.order = []
    }

    /// Creates a spec; a negative limit or offset is an error.
    public init(
        filters: [Filter<Field>] = [],
        order: [Ordering<Field>] = [],
        limit: Int? = nil,
        offset: Int? = nil
    ) throws(GantryError) {
        if let limit, limit < 0 { throw GantryError(.invalidArgument, "limit must not be negative") }
        if let offset, offset < 0 { throw GantryError(.invalidArgument, "offset must not be negative") }
        self.filters = filters
        self.order = order
        self.limit = limit
        self.offset = offset
    }
}

extension ResultSpec {
    /// This spec with one more filter, `field = value`: how a route under a parent (`/workers/{id}/builds`)
    /// narrows the parent's collection and keeps every option the query gave.
    public func narrowed(to field: Field, _ value: QueryValue) throws(GantryError) -> ResultSpec {
        var spec = self
        spec.filters.append(try Filter.equal(field, value))
        return spec
    }
}

/// One page of a collection, with the number of items that matched before paging.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var total: Int

    public init(items: [Item], total: Int) {
        self.items = items
        self.total = total
    }
}

extension Page: Equatable where Item: Equatable {}
