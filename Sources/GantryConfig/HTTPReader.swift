import GantryModel
import Yams

/// Reads the `http` setting.
extension ConfigReader {
    /// `http: HOST:PORT`, or `http: {address, headerTimeout, idleTimeout, maxConnections}`; `nil` for an address
    /// not given or not valid (the latter reported).
    mutating func http(_ node: Node?) -> (address: ListenAddress?, limits: HTTPLimits) {
        var limits = HTTPLimits()
        guard let node else { return (nil, limits) }
        if let scalar = node.scalar {
            return (listenAddress(scalar.string, at: "http"), limits)
        }
        guard let mapping = node.mapping else {
            problem("http", "must be host:port, or a mapping of address, headerTimeout, idleTimeout and maxConnections")
            return (nil, limits)
        }
        refuseUnknownKeys(
            mapping, allowed: ["address", "headerTimeout", "idleTimeout", "maxConnections", "insecure", "tls"],
            at: "http")
        var address: ListenAddress?
        if let text = string(mapping, "address", at: "http") {
            address = listenAddress(text, at: "http.address")
        }
        limits.headerTimeout = duration(mapping, "headerTimeout", at: "http") ?? limits.headerTimeout
        limits.idleTimeout = duration(mapping, "idleTimeout", at: "http") ?? limits.idleTimeout
        limits.maxConnections = connectionCount(mapping, "maxConnections", at: "http") ?? limits.maxConnections
        return (address, limits)
    }

    /// `http.insecure`: whether the HTTP API may listen beyond this machine without `auth`.
    mutating func httpInsecure(_ node: Node?) -> Bool {
        guard let mapping = node?.mapping else { return false }
        return flag(mapping, "insecure", at: "http") ?? false
    }

    private mutating func listenAddress(_ text: String, at path: String) -> ListenAddress? {
        guard !text.isEmpty else {
            problem(path, "must be a non-empty string")
            return nil
        }
        guard let address = ListenAddress(parsing: text) else {
            problem(path, "must be host:port, like 127.0.0.1:8010 or :8010")
            return nil
        }
        return address
    }
}
