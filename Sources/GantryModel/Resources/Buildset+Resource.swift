import Foundation

extension Buildset {
    /// The buildset as the data API shows it (`/api/v2/buildsets`, `buildsets/<id>/...` events): with its
    /// source stamps whole, as in Buildbot, and its scheduler by name and its properties, which Buildbot leaves out.
    /// - Parameters:
    ///   - sourceStamps: Source stamps by id, holding at least this buildset's (one missing is left out).
    ///   - schedulerNames: Scheduler names by id, holding at least this buildset's scheduler.
    public func resource(sourceStamps: [Int: SourceStamp], schedulerNames: [Int: String]) -> JSONValue {
        var fields: [String: JSONValue] = [
            "bsid": .number(Double(id)),
            "external_idstring": externalIDString.map(JSONValue.string) ?? .null,
            "reason": reason.map(JSONValue.string) ?? .null,
            "submitted_at": .number(submittedAt.timeIntervalSince1970),
            "complete": .bool(complete),
            "sourcestamps": .array(sourceStampIDs.compactMap { sourceStamps[$0]?.resource }),
            "properties": .object(properties),
        ]
        fields["complete_at"] = completeAt.map { JSONValue.number($0.timeIntervalSince1970) } ?? .null
        fields["results"] = results.map { JSONValue.number(Double($0.rawValue)) } ?? .null
        fields["scheduler"] = schedulerID.flatMap { schedulerNames[$0] }.map(JSONValue.string) ?? .null
        fields["parent_buildid"] = parent.map { JSONValue.number(Double($0.buildID)) } ?? .null
        fields["parent_relationship"] = parent.map { JSONValue.string($0.relationship) } ?? .null
        fields["rebuilt_buildid"] = rebuiltBuildID.map { JSONValue.number(Double($0)) } ?? .null
        return .object(fields)
    }
}
