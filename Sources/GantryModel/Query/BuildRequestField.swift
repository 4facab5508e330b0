/// The fields of the build requests collection.
public enum BuildRequestField: String, QueryField {
    case buildrequestid
    case buildsetid
    case builderid
    case priority
    case complete
    case results
    case submittedAt = "submitted_at"
    case completeAt = "complete_at"
    case waitedFor = "waited_for"
    case claimed
    case claimedByMasterID = "claimed_by_masterid"
    case claimedAt = "claimed_at"
    case collapsedInto = "collapsed_into"

    public var valueType: QueryValue.Kind {
        switch self {
        case .buildrequestid, .buildsetid, .builderid, .priority, .results, .submittedAt, .completeAt,
            .claimedByMasterID, .claimedAt, .collapsedInto:
            .int
        case .complete, .waitedFor, .claimed: .bool
        }
    }
}
