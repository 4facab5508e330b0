import Foundation

extension PoolEvent {
    /// The event as the data API shows it (`/api/v2/pools/{name}/events`, `pools/<name>/<event>` events).
    public var resource: JSONValue {
        .object([
            "time": .number(time.timeIntervalSince1970), "pool": .string(pool),
            "worker": worker.map(JSONValue.string) ?? .null, "event": .string(kind.rawValue),
            "detail": detail.map(JSONValue.string) ?? .null,
            "masterid": masterID.map { .number(Double($0)) } ?? .null,
        ])
    }
}
