/// A worker registered with the cluster, with where it is configured and connected.
///
/// Encoded with the data API's field names; `connected_to` entries are `{"masterid": N}` objects as in Buildbot.
public struct Worker: Sendable, Hashable, Codable {
    /// The database id, stable for the worker's name.
    public var id: Int
    /// An identifier (see ``Identifier``).
    public var name: String
    /// What the worker reported about itself when it last connected.
    public var workerInfo: [String: JSONValue]
    /// A paused worker takes no new builds.
    public var paused: Bool
    /// Why it was paused, if anyone said.
    public var pauseReason: String?
    /// A graceful worker shuts down after its current build.
    public var graceful: Bool
    /// The builder/master pairs it is configured on (limited by the query's filters), sorted.
    public var configuredOn: [BuilderMaster]
    /// The ids of the masters it is connected to (limited by the query's master filter), ascending.
    public var connectedTo: [Int]

    public init(
        id: Int,
        name: String,
        workerInfo: [String: JSONValue] = [:],
        paused: Bool = false,
        pauseReason: String? = nil,
        graceful: Bool = false,
        configuredOn: [BuilderMaster] = [],
        connectedTo: [Int] = []
    ) {
        self.id = id
        self.name = name
        self.workerInfo = workerInfo
        self.paused = paused
        self.pauseReason = pauseReason
        self.graceful = graceful
        self.configuredOn = configuredOn
        self.connectedTo = connectedTo
    }

    private enum CodingKeys: String, CodingKey {
        case id = "workerid"
        case name
        case workerInfo = "workerinfo"
        case paused
        case pauseReason = "pause_reason"
        case graceful
        case configuredOn = "configured_on"
        case connectedTo = "connected_to"
    }

    private struct Connection: Codable {
        var masterid: Int
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(Int.self, forKey: .id)
        name = try container.decode(String.self, forKey: .name)
        workerInfo = try container.decode([String: JSONValue].self, forKey: .workerInfo)
        paused = try container.decode(Bool.self, forKey: .paused)
        pauseReason = try container.decodeIfPresent(String.self, forKey: .pauseReason)
        graceful = try container.decode(Bool.self, forKey: .graceful)
        configuredOn = try container.decode([BuilderMaster].self, forKey: .configuredOn)
        connectedTo = try container.decode([Connection].self, forKey: .connectedTo).map(\.masterid)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(workerInfo, forKey: .workerInfo)
        try container.encode(paused, forKey: .paused)
        try container.encode(pauseReason, forKey: .pauseReason)
        try container.encode(graceful, forKey: .graceful)
        try container.encode(configuredOn, forKey: .configuredOn)
        try container.encode(connectedTo.map(Connection.init), forKey: .connectedTo)
    }
}
