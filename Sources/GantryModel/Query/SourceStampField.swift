/// The fields of the source stamps collection.
public enum SourceStampField: String, QueryField {
    case ssid
    case branch
    case revision
    case repository
    case codebase
    case project
    case createdAt = "created_at"

    public var valueType: QueryValue.Kind {
        switch self {
        case .ssid, .createdAt: .int
        case .branch, .revision, .repository, .codebase, .project: .string
        }
    }
}
