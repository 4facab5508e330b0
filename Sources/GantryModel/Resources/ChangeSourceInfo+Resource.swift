extension ChangeSourceInfo {
    /// The change source as the data API shows it (`/api/v2/changesources`), with the master holding its claim
    /// whole, as in Buildbot.
    /// - Parameter master: The claiming master; `null` in the resource when unclaimed or unknown.
    public func resource(master: Master?) -> JSONValue {
        .object([
            "changesourceid": .number(Double(id)),
            "name": .string(name),
            "master": master?.resource ?? .null,
        ])
    }
}
