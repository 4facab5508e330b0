extension BuildStep {
    /// The step as the data API shows it (`/api/v2/builds/{id}/steps`, `steps/<id>/...` events).
    public var resource: JSONValue {
        .object([
            "stepid": .number(Double(id)), "number": .number(Double(number)), "name": .string(name),
            "buildid": .number(Double(buildID)), "started_at": .time(startedAt),
            "complete_at": .time(completeAt), "complete": .bool(completeAt != nil),
            "state_string": .string(stateString), "locks_acquired_at": .time(locksAcquiredAt),
            "results": results.map { .number(Double($0.rawValue)) } ?? .null, "hidden": .bool(hidden),
            "urls": .array(urls.map { JSONValue.object(["name": .string($0.name), "url": .string($0.url)]) }),
        ])
    }
}
