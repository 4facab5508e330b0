public import Foundation

/// A master process of the cluster, as the database knows it.
/// Encoded with the data API's field names: `masterid`, `name`, `active`, `last_active` (epoch seconds).
public struct Master: Sendable, Hashable, Codable {
    /// The database id, stable for the master's name.
    public var id: Int
    /// `hostname:basedir` unless configured; case-sensitive.
    public var name: String
    /// Whether the master is running and checking in.
    public var active: Bool
    /// The master's last check-in, to the second.
    public var lastActive: Date

    public init(id: Int, name: String, active: Bool, lastActive: Date) {
        self.id = id
        self.name = name
        self.active = active
        self.lastActive = lastActive
    }

    private enum CodingKeys: String, CodingKey {
        case id = "masterid"
        case name, active
        case lastActive = "last_active"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(Int.self, forKey: .id)
        name = try container.decode(String.self, forKey: .name)
        active = try container.decode(Bool.self, forKey: .active)
        lastActive = Date(timeIntervalSince1970: TimeInterval(try container.decode(Int.self, forKey: .lastActive)))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(active, forKey: .active)
        try container.encode(Int(lastActive.timeIntervalSince1970), forKey: .lastActive)
    }
}
