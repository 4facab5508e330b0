/// The fields of Buildbot's projects collection, which Gantry serves empty (it has no projects): queries on them
/// are accepted as Buildbot accepts them.
public enum ProjectField: String, QueryField {
    case projectid
    case name
    case slug
    case active
    case description
    case descriptionFormat = "description_format"
    case descriptionHTML = "description_html"

    public var valueType: QueryValue.Kind {
        switch self {
        case .projectid: .int
        case .name, .slug, .description, .descriptionFormat, .descriptionHTML: .string
        case .active: .bool
        }
    }
}
