/// A builder known to the cluster, with the masters that currently run it.
///
/// Encoded with the data API's field names. A missing description is `null`, never left out, and Buildbot's
/// `description_format`, `description_html` and `projectid` are always `null`: Gantry has no description markup
/// and no projects.
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
        case descriptionFormat = "description_format"
        case descriptionHTML = "description_html"
        case projectID = "projectid"
        case tags
    }

    public init(id: Int, name: String, masterIDs: [Int]) {
        self.id = id
        self.name = name
        self.masterIDs = masterIDs
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(Int.self, forKey: .id)
        name = try container.decode(String.self, forKey: .name)
        masterIDs = try container.decode([Int].self, forKey: .masterIDs)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        tags = try container.decodeIfPresent([String].self, forKey: .tags) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(masterIDs, forKey: .masterIDs)
        try container.encode(description, forKey: .description)
        try container.encodeNil(forKey: .descriptionFormat)
        try container.encodeNil(forKey: .descriptionHTML)
        try container.encodeNil(forKey: .projectID)
        try container.encode(tags, forKey: .tags)
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
