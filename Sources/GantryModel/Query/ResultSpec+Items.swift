extension ResultSpec {
    /// Applies the spec to items already in memory, for collections small enough to read whole (schedulers,
    /// workers): the same semantics as the SQL form, with `value` reading a field of an item (`nil` matches
    /// only `ne`). Items that compare equal keep their given order.
    public func select<Item: Sendable>(from items: [Item], value: (Item, Field) -> QueryValue?) -> Page<Item> {
        let matching = items.filter { item in
            filters.allSatisfy { $0.matches(value(item, $0.field)) }
        }
        let ordered = matching.enumerated().sorted { left, right in
            for ordering in order {
                let lhs = value(left.element, ordering.field)
                let rhs = value(right.element, ordering.field)
                guard lhs != rhs else { continue }
                return QueryValue.precedes(lhs, rhs) != ordering.descending
            }
            return left.offset < right.offset
        }.map(\.element)
        let start = min(offset ?? 0, ordered.count)
        let end = limit.map { min(start.addingSaturated($0), ordered.count) } ?? ordered.count
        return Page(items: Array(ordered[start..<end]), total: matching.count)
    }
}

extension Filter {
    /// Whether a field holding `value` passes this filter.
    func matches(_ value: QueryValue?) -> Bool {
        guard let value else { return op == .ne }
        switch op {
        case .eq: return values.contains(value)
        case .ne: return !values.contains(value)
        case .lt: return QueryValue.precedes(value, values[0])
        case .le: return !QueryValue.precedes(values[0], value)
        case .gt: return QueryValue.precedes(values[0], value)
        case .ge: return !QueryValue.precedes(value, values[0])
        case .contains:
            guard case .string(let text) = value else { return false }
            return values.contains { needle in
                if case .string(let needle) = needle { text.contains(needle) } else { false }
            }
        }
    }
}

extension QueryValue {
    /// The order of SQL: `nil` (NULL) first, then by value; `false` before `true`.
    static func precedes(_ lhs: QueryValue?, _ rhs: QueryValue?) -> Bool {
        switch (lhs, rhs) {
        case (nil, nil): false
        case (nil, _): true
        case (_, nil): false
        case (.int(let a), .int(let b)): a < b
        case (.string(let a), .string(let b)): a < b
        case (.bool(let a), .bool(let b)): !a && b
        default: false
        }
    }
}

/// A field read off an item, so a collection can be filtered and ordered in memory.
public protocol ItemField: QueryField {
    associatedtype Item
    /// This field of `item`; `nil` when it has no value.
    func value(of item: Item) -> QueryValue?
}
