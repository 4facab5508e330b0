public import Foundation

/// A set of build requests submitted together, by a scheduler or by hand.
public struct Buildset: Sendable, Hashable {
    public var id: Int
    public var reason: String?
    public var externalIDString: String?
    public var submittedAt: Date
    public var complete: Bool
    /// The scheduler that added it, when one did.
    public var schedulerID: Int?
    /// Properties as `name: [value, source]`, Buildbot's shape.
    public var properties: [String: JSONValue]

    public init(
        id: Int,
        reason: String?,
        externalIDString: String? = nil,
        submittedAt: Date,
        complete: Bool = false,
        schedulerID: Int? = nil,
        properties: [String: JSONValue] = [:]
    ) {
        self.id = id
        self.reason = reason
        self.externalIDString = externalIDString
        self.submittedAt = submittedAt
        self.complete = complete
        self.schedulerID = schedulerID
        self.properties = properties
    }
}

/// One builder's share of a buildset: a request for one build.
public struct BuildRequest: Sendable, Hashable {
    public var id: Int
    public var buildsetID: Int
    public var builderID: Int
    public var priority: Int
    public var complete: Bool
    public var submittedAt: Date
    /// The master whose claim this request is under, if any.
    public var claimedByMasterID: Int?

    public init(
        id: Int,
        buildsetID: Int,
        builderID: Int,
        priority: Int = 0,
        complete: Bool = false,
        submittedAt: Date,
        claimedByMasterID: Int? = nil
    ) {
        self.id = id
        self.buildsetID = buildsetID
        self.builderID = builderID
        self.priority = priority
        self.complete = complete
        self.submittedAt = submittedAt
        self.claimedByMasterID = claimedByMasterID
    }
}
