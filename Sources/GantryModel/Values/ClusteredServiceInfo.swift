/// A scheduler as the database knows it: its name, whether it is enabled, and the master that holds its claim.
public struct SchedulerInfo: Sendable, Hashable, Codable {
    public var id: Int
    public var name: String
    public var enabled: Bool
    /// The claiming master, even if that master is inactive; `nil` when unclaimed.
    public var masterID: Int?

    public init(id: Int, name: String, enabled: Bool = true, masterID: Int? = nil) {
        self.id = id
        self.name = name
        self.enabled = enabled
        self.masterID = masterID
    }

    private enum CodingKeys: String, CodingKey {
        case id = "schedulerid"
        case name, enabled
        case masterID = "masterid"
    }
}

/// A change source as the database knows it, with the master that holds its claim.
public struct ChangeSourceInfo: Sendable, Hashable, Codable {
    public var id: Int
    public var name: String
    public var masterID: Int?

    public init(id: Int, name: String, masterID: Int? = nil) {
        self.id = id
        self.name = name
        self.masterID = masterID
    }

    private enum CodingKeys: String, CodingKey {
        case id = "changesourceid"
        case name
        case masterID = "masterid"
    }
}
