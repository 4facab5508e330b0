/// The fields of the masters collection.
public enum MasterField: String, QueryField {
    case masterid
    case name
    case active
    case lastActive = "last_active"

    public var valueType: QueryValue.Kind {
        switch self {
        case .masterid, .lastActive: .int
        case .name: .string
        case .active: .bool
        }
    }
}
