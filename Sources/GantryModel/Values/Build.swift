public import Foundation

/// One build: a builder running one build request on one worker, under one master.
public struct Build: Sendable, Hashable {
    public var id: Int
    /// The build's number on its builder, from 1.
    public var number: Int
    public var builderID: Int
    public var buildRequestID: Int
    public var workerID: Int?
    public var masterID: Int
    public var startedAt: Date
    public var completeAt: Date?
    public var stateString: String
    /// Set once the build is complete.
    public var results: BuildResult?
    /// How long the build and its steps waited for their locks, in seconds (Buildbot's `locks_duration_s`).
    public var locksDurationSeconds: Int

    public init(
        id: Int,
        number: Int,
        builderID: Int,
        buildRequestID: Int,
        workerID: Int?,
        masterID: Int,
        startedAt: Date,
        completeAt: Date? = nil,
        stateString: String = "",
        results: BuildResult? = nil,
        locksDurationSeconds: Int = 0
    ) {
        self.id = id
        self.number = number
        self.builderID = builderID
        self.buildRequestID = buildRequestID
        self.workerID = workerID
        self.masterID = masterID
        self.startedAt = startedAt
        self.completeAt = completeAt
        self.stateString = stateString
        self.results = results
        self.locksDurationSeconds = locksDurationSeconds
    }
}

/// One step of a build.
public struct BuildStep: Sendable, Hashable {
    public var id: Int
    /// The step's position in its build, from 0.
    public var number: Int
    /// Unique within the build (`_2`, `_3`... are appended to repeated names).
    public var name: String
    public var buildID: Int
    public var startedAt: Date?
    public var completeAt: Date?
    public var stateString: String
    public var results: BuildResult?
    public var hidden: Bool
    /// When the step had its locks (Buildbot's `locks_acquired_at`); `nil` until then.
    public var locksAcquiredAt: Date?
    /// The links the step added, in order.
    public var urls: [StepURL]

    public init(
        id: Int,
        number: Int,
        name: String,
        buildID: Int,
        startedAt: Date? = nil,
        completeAt: Date? = nil,
        stateString: String = "",
        results: BuildResult? = nil,
        hidden: Bool = false,
        locksAcquiredAt: Date? = nil,
        urls: [StepURL] = []
    ) {
        self.id = id
        self.number = number
        self.name = name
        self.buildID = buildID
        self.startedAt = startedAt
        self.completeAt = completeAt
        self.stateString = stateString
        self.results = results
        self.hidden = hidden
        self.locksAcquiredAt = locksAcquiredAt
        self.urls = urls
    }
}

/// One log of a step: its lines are stored in chunks as they arrive.
public struct StepLog: Sendable, Hashable {
    /// Buildbot's log types: `s` stdio (each line prefixed by its stream), `t` text, `h` HTML, and `d` for a log
    /// whose lines the retention janitor deleted.
    public enum Kind: String, Sendable, Hashable {
        case stdio = "s"
        case text = "t"
        case html = "h"
        case deleted = "d"
    }

    public var id: Int
    public var name: String
    /// The name made safe for URLs, unique within the step.
    public var slug: String
    public var stepID: Int
    public var complete: Bool
    public var numLines: Int
    public var kind: Kind

    public init(id: Int, name: String, slug: String, stepID: Int, complete: Bool, numLines: Int, kind: Kind) {
        self.id = id
        self.name = name
        self.slug = slug
        self.stepID = stepID
        self.complete = complete
        self.numLines = numLines
        self.kind = kind
    }
}
