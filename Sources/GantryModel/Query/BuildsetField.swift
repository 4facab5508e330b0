/// The fields of the buildsets collection.
public enum BuildsetField: String, QueryField {
    case bsid
    case externalIDString = "external_idstring"
    case reason
    case submittedAt = "submitted_at"
    case complete
    case completeAt = "complete_at"
    case results

    public var valueType: QueryValue.Kind {
        switch self {
        case .bsid, .submittedAt, .completeAt, .results: .int
        case .externalIDString, .reason: .string
        case .complete: .bool
        }
    }
}
