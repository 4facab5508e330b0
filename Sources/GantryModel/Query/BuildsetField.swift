/// The fields of the buildsets collection.
public enum BuildsetField: String, QueryField {
    case bsid
    case externalIDString = "external_idstring"
    case reason
    case submittedAt = "submitted_at"
    case complete
    case completeAt = "complete_at"
    case results
    case parentBuildID = "parent_buildid"
    case parentRelationship = "parent_relationship"
    /// What Buildbot's web UI asks for to find the latest rebuild of a build.
    case rebuiltBuildID = "rebuilt_buildid"

    public var valueType: QueryValue.Kind {
        switch self {
        case .bsid, .submittedAt, .completeAt, .results, .parentBuildID, .rebuiltBuildID: .int
        case .externalIDString, .reason, .parentRelationship: .string
        case .complete: .bool
        }
    }
}
