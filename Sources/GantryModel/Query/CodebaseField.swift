/// The fields of Buildbot's codebases collection, which Gantry serves empty (its codebases are names in
/// source stamps, not objects): queries on them are accepted as Buildbot accepts them.
public enum CodebaseField: String, QueryField {
    case codebaseid
    case projectid
    case name
    case slug

    public var valueType: QueryValue.Kind {
        switch self {
        case .codebaseid, .projectid: .int
        case .name, .slug: .string
        }
    }
}
