/// A reverse proxy that authenticates users and names them in request headers; only requests from
/// `trustedProxies` are believed, since anyone else could send the same headers.
public struct ProxyAuthSettings: Sendable, Hashable {
    /// The header holding the user's name, such as `X-Remote-User`.
    public var userHeader: String
    /// The header holding the user's groups, comma-separated.
    public var groupsHeader: String?
    /// The addresses a proxy's requests come from.
    public var trustedProxies: [AddressRange]

    public init(userHeader: String, groupsHeader: String? = nil, trustedProxies: [AddressRange] = []) {
        self.userHeader = userHeader
        self.groupsHeader = groupsHeader
        self.trustedProxies = trustedProxies
    }

    /// Whether a request from `address` may name its user in the headers.
    public func trusts(_ address: String) -> Bool {
        trustedProxies.contains { $0.contains(address) }
    }
}
