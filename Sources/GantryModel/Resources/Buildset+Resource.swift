import Foundation

extension Buildset {
    /// The buildset as the data API shows it (`/api/v2/buildsets`, `buildsets/<id>/...` events): with its
    /// source stamps whole and its scheduler by name, as in Buildbot.
    /// - Parameters:
    ///   - sourceStamps: Source stamps by id, holding at least this buildset's (one missing is left out).
    ///   - schedulerNames: Scheduler names by id, holding at least this buildset's scheduler.
    public func resource(sourceStamps: [Int: SourceStamp], schedulerNames: [Int: String]) -> JSONValue {
        .object([
            "bsid": .number(Double(id)),
            "external_idstring": externalIDString.map(JSONValue.string) ?? .null,
            "reason": reason.map(JSONValue.string) ?? .null,
            "submitted_at": .number(submittedAt.timeIntervalSince1970),
            "complete": .bool(complete),
            "complete_at": completeAt.map { .number($0.timeIntervalSince1970) } ?? .null,
            "results": results.map { .number(Double($0.rawValue)) } ?? .null,
            "scheduler": schedulerID.flatMap { schedulerNames[$0] }.map(JSONValue.string) ?? .null,
            "sourcestamps": .array(sourceStampIDs.compactMap { sourceStamps[$0]?.resource }),
            "properties": .object(properties),
        ])
    }
}
