/// The fields of the builds collection.
public enum BuildField: String, ItemField {
    case buildid
    case number
    case builderid
    case buildrequestid
    case workerid
    case masterid
    case startedAt = "started_at"
    case completeAt = "complete_at"
    case complete
    case results

    public var valueType: QueryValue.Kind { self == .complete ? .bool : .int }

    /// This field of `build`.
    public func value(of build: Build) -> QueryValue? {
        switch self {
        case .buildid: .int(build.id)
        case .number: .int(build.number)
        case .builderid: .int(build.builderID)
        case .buildrequestid: .int(build.buildRequestID)
        case .workerid: build.workerID.map(QueryValue.int)
        case .masterid: .int(build.masterID)
        case .startedAt: .int(Int(build.startedAt.timeIntervalSince1970))
        case .completeAt: build.completeAt.map { .int(Int($0.timeIntervalSince1970)) }
        case .complete: .bool(build.completeAt != nil)
        case .results: build.results.map { .int($0.rawValue) }
        }
    }
}
