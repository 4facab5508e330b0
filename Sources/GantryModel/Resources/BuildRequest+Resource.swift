import Foundation

extension BuildRequest {
    /// The request as the data API shows it (`/api/v2/buildrequests`, `buildrequests/<id>/...` events); its
    /// `properties` are `null` until a query asks for them, as in Buildbot.
    public var resource: JSONValue {
        .object([
            "buildrequestid": .number(Double(id)),
            "buildsetid": .number(Double(buildsetID)),
            "builderid": .number(Double(builderID)),
            "priority": .number(Double(priority)),
            "complete": .bool(complete),
            "results": results.map { .number(Double($0.rawValue)) } ?? .null,
            "submitted_at": .number(submittedAt.timeIntervalSince1970),
            "complete_at": completeAt.map { .number($0.timeIntervalSince1970) } ?? .null,
            "waited_for": .bool(waitedFor),
            "claimed": .bool(claimedByMasterID != nil),
            "claimed_by_masterid": claimedByMasterID.map { .number(Double($0)) } ?? .null,
            "claimed_at": .time(claimedAt),
            "collapsed_into": collapsedInto.map { .number(Double($0)) } ?? .null,
            "properties": .null,
        ])
    }
}
