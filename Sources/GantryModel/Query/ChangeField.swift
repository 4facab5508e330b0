/// The fields of the changes collection.
public enum ChangeField: String, QueryField {
    case changeid
    case author
    case committer
    case branch
    case revision
    case repository
    case project
    case codebase
    case category
    case whenTimestamp = "when_timestamp"
    case sourcestampid

    public var valueType: QueryValue.Kind {
        switch self {
        case .changeid, .whenTimestamp, .sourcestampid: .int
        case .author, .committer, .branch, .revision, .repository, .project, .codebase, .category: .string
        }
    }
}
