public import Foundation

/// A set of build requests submitted together, by a scheduler or by hand.
public struct Buildset: Sendable, Hashable {
    public var id: Int
    public var reason: String?
    public var externalIDString: String?
    public var submittedAt: Date
    public var complete: Bool
    public var completeAt: Date?
    /// The worst result of its requests, once complete.
    public var results: BuildResult?
    /// The scheduler that added it, when one did.
    public var schedulerID: Int?
    /// What it builds, one source stamp per codebase.
    public var sourceStampIDs: [Int]
    /// Properties as `name: [value, source]`, Buildbot's shape.
    public var properties: [String: JSONValue]
    /// The build whose Trigger step added it, when one did.
    public var parent: BuildsetParent?
    /// The build it rebuilds (the first of a chain of rebuilds), when it is a rebuild.
    public var rebuiltBuildID: Int?

    public init(
        id: Int,
        reason: String?,
        externalIDString: String? = nil,
        submittedAt: Date,
        complete: Bool = false,
        completeAt: Date? = nil,
        results: BuildResult? = nil,
        schedulerID: Int? = nil,
        sourceStampIDs: [Int] = [],
        properties: [String: JSONValue] = [:],
        parent: BuildsetParent? = nil,
        rebuiltBuildID: Int? = nil
    ) {
        self.id = id
        self.reason = reason
        self.externalIDString = externalIDString
        self.submittedAt = submittedAt
        self.complete = complete
        self.completeAt = completeAt
        self.results = results
        self.schedulerID = schedulerID
        self.sourceStampIDs = sourceStampIDs
        self.properties = properties
        self.parent = parent
        self.rebuiltBuildID = rebuiltBuildID
    }
}

/// One builder's share of a buildset: a request for one build.
public struct BuildRequest: Sendable, Hashable {
    public var id: Int
    public var buildsetID: Int
    public var builderID: Int
    public var priority: Int
    public var complete: Bool
    public var results: BuildResult?
    public var submittedAt: Date
    public var completeAt: Date?
    /// Whether a scheduler waits for its result (a Trigger step with waitForFinish).
    public var waitedFor: Bool
    /// The master whose claim this request is under, if any.
    public var claimedByMasterID: Int?
    /// When that master claimed it.
    public var claimedAt: Date?
    /// The request whose build also completes this one, when it was collapsed into it (Buildbot's
    /// `collapseRequests`).
    public var collapsedInto: Int?

    public init(
        id: Int,
        buildsetID: Int,
        builderID: Int,
        priority: Int = 0,
        complete: Bool = false,
        results: BuildResult? = nil,
        submittedAt: Date,
        completeAt: Date? = nil,
        waitedFor: Bool = false,
        claimedByMasterID: Int? = nil,
        claimedAt: Date? = nil,
        collapsedInto: Int? = nil
    ) {
        self.id = id
        self.buildsetID = buildsetID
        self.builderID = builderID
        self.priority = priority
        self.complete = complete
        self.results = results
        self.submittedAt = submittedAt
        self.completeAt = completeAt
        self.waitedFor = waitedFor
        self.claimedByMasterID = claimedByMasterID
        self.claimedAt = claimedAt
        self.collapsedInto = collapsedInto
    }
}

/// Who asked for a buildset, as fair queues see it: the scheduler that added it and the project it builds.
public struct BuildsetOrigin: Sendable, Hashable {
    public var schedulerID: Int?
    public var project: String

    public init(schedulerID: Int?, project: String) {
        self.schedulerID = schedulerID
        self.project = project
    }

    /// The origin as its requests store it: the scheduler id (0 for none, as ids start at 1), a space, the
    /// project. Two origins are equal exactly when their keys are.
    public var queueKey: String { "\(schedulerID ?? 0) \(project)" }
}
