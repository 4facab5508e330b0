/// A builder known to the cluster, with the masters that currently run it.
public struct Builder: Sendable, Hashable, Codable {
    /// The database id, stable for the builder's name.
    public var id: Int
    /// The builder's configured name.
    public var name: String
    /// The ids of the masters this builder is configured on, ascending.
    public var masterIDs: [Int]
    public var description: String?
    public var tags: [String] = []

    private enum CodingKeys: String, CodingKey {
        case id = "builderid"
        case name
        case masterIDs = "masterids"
        case description
        case tags
    }

    public init(id: Int, name: String, masterIDs: [Int]) {
        self.id = id
        self.name = name
        self.masterIDs = masterIDs
    }
}

/// One builder on one master: where a worker can be configured.
public struct BuilderMaster: Sendable, Hashable, Codable, Comparable {
    public var builderID: Int
    public var masterID: Int

    private enum CodingKeys: String, CodingKey {
        case builderID = "builderid"
        case masterID = "masterid"
    }

    public init(builderID: Int, masterID: Int) {
        self.builderID = builderID
        self.masterID = masterID
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.builderID, lhs.masterID) < (rhs.builderID, rhs.masterID)
    }
}
