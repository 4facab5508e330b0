/// The fields of the change sources collection.
public enum ChangeSourceField: String, QueryField {
    case changesourceid
    case name
    case masterid

    public var valueType: QueryValue.Kind {
        switch self {
        case .changesourceid, .masterid: .int
        case .name: .string
        }
    }

    /// This field of `changeSource`.
    public func value(of changeSource: ChangeSourceInfo) -> QueryValue? {
        switch self {
        case .changesourceid: .int(changeSource.id)
        case .name: .string(changeSource.name)
        case .masterid: changeSource.masterID.map(QueryValue.int)
        }
    }
}
