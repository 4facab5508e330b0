import Foundation

extension PoolInstance {
    /// The instance as the data API shows it (`/api/v2/pools/{name}/instances`).
    public var resource: JSONValue {
        func time(_ date: Date?) -> JSONValue { date.map { .number($0.timeIntervalSince1970) } ?? .null }
        return .object([
            "instanceid": .number(Double(id)), "pool": .string(pool), "worker": .string(worker),
            "provisioner": .string(provisioner), "provider_id": providerID.map(JSONValue.string) ?? .null,
            "masterid": .number(Double(masterID)), "epoch": .number(Double(epoch)), "state": .string(state.rawValue),
            "started_at": time(startedAt), "connected_at": time(connectedAt), "stopped_at": time(stoppedAt),
            "detail": detail.map(JSONValue.string) ?? .null,
        ])
    }
}
