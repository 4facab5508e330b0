public import Foundation

/// What a report is about: a moment in the life of one build request, with everything reporters filter on and
/// write about, read from the database when the reporter service meets the event.
public struct ReportSubject: Sendable, Hashable {
    /// The moments reporters are told about, after Buildbot's reporters' build events.
    public enum Moment: String, Sendable, Hashable, CaseIterable {
        /// A build request was queued (`buildrequests/N/new`).
        case requested
        /// A build started for it (`builds/N/new`).
        case started
        /// The build finished (`builds/N/finished`); `build.results` says how.
        case finished
        /// The request was cancelled before any build took it (`buildrequests/N/cancelled`).
        case cancelled
    }

    /// The feed event the subject comes from; with a report's index, it names the delivery.
    public var eventID: Int
    public var moment: Moment
    public var builder: ReportBuilder
    public var buildRequestID: Int
    public var buildsetID: Int
    /// The buildset's reason (`The web-page 'force' button was pressed by 'ada'`).
    public var reason: String
    /// The build, from `started` on; nil for `requested` and `cancelled`.
    public var build: ReportBuild?
    /// What was built, one per codebase.
    public var sourceStamps: [ReportSourceStamp]
    /// The authors of the changes that went into the source stamps (Buildbot's blamelist).
    public var blamelist: [String]
    /// The results of the builder's previous finished build, for the mail modes `change` and `problem`;
    /// filled for `finished` only, nil when there is none.
    public var previousResults: BuildResult?
    /// The steps that did not succeed, in order, each with the tail of its log; filled for `finished` only.
    public var failingSteps: [ReportStep]

    public init(
        eventID: Int, moment: Moment, builder: ReportBuilder, buildRequestID: Int, buildsetID: Int,
        reason: String = "", build: ReportBuild? = nil, sourceStamps: [ReportSourceStamp] = [],
        blamelist: [String] = [], previousResults: BuildResult? = nil, failingSteps: [ReportStep] = []
    ) {
        self.eventID = eventID
        self.moment = moment
        self.builder = builder
        self.buildRequestID = buildRequestID
        self.buildsetID = buildsetID
        self.reason = reason
        self.build = build
        self.sourceStamps = sourceStamps
        self.blamelist = blamelist
        self.previousResults = previousResults
        self.failingSteps = failingSteps
    }

    /// The outcome the subject stands for: the build's results once finished, `cancelled` for a cancelled
    /// request, nil while pending or running.
    public var results: BuildResult? {
        switch moment {
        case .requested, .started: nil
        case .finished: build?.results
        case .cancelled: .cancelled
        }
    }
}

/// The builder of a report's subject.
public struct ReportBuilder: Sendable, Hashable {
    public var id: Int
    public var name: String
    public var tags: [String]

    public init(id: Int, name: String, tags: [String] = []) {
        self.id = id
        self.name = name
        self.tags = tags
    }
}

/// The build of a report's subject.
public struct ReportBuild: Sendable, Hashable {
    public var id: Int
    /// Its number within the builder, as the UI shows it (`#12`).
    public var number: Int
    /// Nil until it finished.
    public var results: BuildResult?
    public var stateString: String
    public var startedAt: Date
    public var completeAt: Date?
    /// The worker it ran on, when known.
    public var workerName: String?

    public init(
        id: Int, number: Int, results: BuildResult? = nil, stateString: String = "", startedAt: Date,
        completeAt: Date? = nil, workerName: String? = nil
    ) {
        self.id = id
        self.number = number
        self.results = results
        self.stateString = stateString
        self.startedAt = startedAt
        self.completeAt = completeAt
        self.workerName = workerName
    }
}

/// One source stamp of a report's subject.
public struct ReportSourceStamp: Sendable, Hashable {
    public var repository: String
    public var branch: String?
    /// Nil for a build of "the latest" revision: commit statuses need one, so such a stamp gets none.
    public var revision: String?
    public var project: String
    public var codebase: String

    public init(
        repository: String, branch: String? = nil, revision: String? = nil, project: String = "",
        codebase: String = ""
    ) {
        self.repository = repository
        self.branch = branch
        self.revision = revision
        self.project = project
        self.codebase = codebase
    }
}

/// A step that did not succeed, with the last lines of its last log.
public struct ReportStep: Sendable, Hashable {
    public var number: Int
    public var name: String
    public var results: BuildResult
    public var stateString: String
    /// The name of the log the tail is from (`stdio`), nil when the step has none.
    public var logName: String?
    /// The log's last lines (at most ``ReportStep/tailLines``), without the stream prefixes.
    public var logTail: String

    /// How many lines of each failing step's log a subject carries.
    public static let tailLines = 40

    public init(
        number: Int, name: String, results: BuildResult, stateString: String = "", logName: String? = nil,
        logTail: String = ""
    ) {
        self.number = number
        self.name = name
        self.results = results
        self.stateString = stateString
        self.logName = logName
        self.logTail = logTail
    }
}
