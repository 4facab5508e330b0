extension SchedulerInfo {
    /// The scheduler as the data API shows it (`/api/v2/schedulers`, `schedulers/<id>/updated` events), with the
    /// master holding its claim whole, as in Buildbot.
    /// - Parameter master: The claiming master; `null` in the resource when unclaimed or unknown.
    public func resource(master: Master?) -> JSONValue {
        .object([
            "schedulerid": .number(Double(id)),
            "name": .string(name),
            "enabled": .bool(enabled),
            "master": master?.resource ?? .null,
        ])
    }
}
