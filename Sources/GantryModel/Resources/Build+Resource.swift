extension Build {
    /// The build as the data API shows it (`/api/v2/builds`, `builds/<id>/...` events); its `properties` are
    /// empty until a query asks for them, as in Buildbot.
    public var resource: JSONValue {
        .object([
            "buildid": .number(Double(id)), "number": .number(Double(number)),
            "builderid": .number(Double(builderID)), "buildrequestid": .number(Double(buildRequestID)),
            "workerid": workerID.map { .number(Double($0)) } ?? .null,
            "masterid": .number(Double(masterID)),
            "started_at": .time(startedAt), "complete_at": .time(completeAt),
            "complete": .bool(completeAt != nil), "state_string": .string(stateString),
            "results": results.map { .number(Double($0.rawValue)) } ?? .null,
            "locks_duration_s": .number(Double(locksDurationSeconds)), "properties": .object([:]),
        ])
    }
}
