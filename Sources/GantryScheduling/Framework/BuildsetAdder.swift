public import Foundation
public import GantryModel
public import GantryStorage
public import Logging

/// Adds a scheduler's buildsets, as Buildbot's `addBuildsetForChanges`, `addBuildsetForSourceStamps` and
/// `addBuildsetForSourceStampsWithDefaults`.
///
/// Every buildset carries the scheduler's properties (they win over those passed in, which win over those of
/// the changes) and the `scheduler` property. Builder names not known to the cluster are dropped with a
/// warning; a buildset left without builders completes at once.
public struct BuildsetAdder: Sendable {
    public let options: SchedulerOptions
    let database: Database
    let logger: Logger

    public init(options: SchedulerOptions, database: Database, logger: Logger) {
        self.options = options
        self.database = database
        self.logger = logger
    }

    /// The buildset added and its request id per builder id.
    public struct Added: Sendable, Hashable {
        public var buildsetID: Int
        public var requestIDs: [Int: Int]
    }

    /// A sourcestamp to build: one already stored, or described by its fields.
    public enum SourceStampSpec: Sendable, Hashable {
        case id(Int)
        case fields(SourceStampFields)
    }

    /// A sourcestamp for one codebase, to be completed from the codebase's defaults; `nil` keeps the default.
    public struct PartialSourceStamp: Sendable, Hashable {
        public var codebase: String
        public var repository: String?
        public var branch: String?
        public var revision: String?
        public var project: String?

        public init(
            codebase: String = "",
            repository: String? = nil,
            branch: String? = nil,
            revision: String? = nil,
            project: String? = nil
        ) {
            self.codebase = codebase
            self.repository = repository
            self.branch = branch
            self.revision = revision
            self.project = project
        }
    }

    /// Where a buildset goes and what it records besides itself.
    public struct Request: Sendable {
        public var fence: ClaimFence?
        public var reason: String
        public var waitedFor = false
        public var externalID: String?
        /// The scheduler's builders unless given.
        public var builderNames: [String]?
        /// `name: [value, source]` pairs.
        public var properties: [String: JSONValue] = [:]
        /// The scheduler's priority rule unless given.
        public var priority: Int?
        /// State writes committed with the buildset, made from the time of submission (so `last_build` and
        /// the buildset's submission time agree however long the lookups before it took).
        public var state: (@Sendable (_ submittedAt: Date) -> [StateWrite])?
        /// Classified changes this buildset consumes; flushed with it.
        public var consumedChangeIDs: [Int] = []
        /// Defaults that replace the configured ones of these codebases (Buildbot's
        /// `createAbsoluteSourceStamps`: the last revision seen on each).
        public var recordedCodebases: [String: CodebaseDefaults] = [:]
        /// The build whose Trigger step asks for the buildset.
        public var parent: BuildsetParent?

        public init(fence: ClaimFence?, reason: String) {
            self.fence = fence
            self.reason = reason
        }
    }

    /// A buildset for these changes: per configured codebase, the sourcestamp of its change with the highest id,
    /// or the codebase's defaults when no change is on it.
    public func addBuildsetForChanges(_ request: Request, changeIDs: [Int]) async throws -> Added {
        let changes = try await database.changes.getChanges(ids: changeIDs)
        let newest = Dictionary(grouping: changes, by: \.codebase).compactMapValues { $0.max { $0.id < $1.id } }
        var stamps: [SourceStampSpec] = []
        for codebase in options.codebases.keys.sorted() {
            if let change = newest[codebase] {
                stamps.append(.id(change.sourceStampID))
            } else {
                stamps.append(.fields(defaults(for: PartialSourceStamp(codebase: codebase), request)))
            }
        }
        var request = request
        request.priority = request.priority ?? options.priority.priority(for: changes)
        return try await add(request, stamps: stamps, changes: changes)
    }

    /// A buildset for exactly these sourcestamps; the properties of the changes behind stored ones are included.
    public func addBuildsetForSourceStamps(_ request: Request, sourceStamps: [SourceStampSpec]) async throws -> Added {
        let ids = sourceStamps.compactMap { if case .id(let id) = $0 { QueryValue.int(id) } else { nil } }
        let changes =
            ids.isEmpty
            ? [] : try await database.changes.getChanges(ResultSpec(filters: [Filter(.sourcestampid, .eq, ids)])).items
        return try await add(request, stamps: sourceStamps, changes: changes)
    }

    /// A buildset with one sourcestamp per configured codebase, each the codebase's defaults overlaid with the
    /// stamp given for it. A stamp for an unknown codebase keeps only its repository, branch and revision.
    /// Throws `invalidArgument` when two stamps name the same codebase.
    public func addBuildsetForSourceStampsWithDefaults(
        _ request: Request,
        sourceStamps: [PartialSourceStamp]
    ) async throws -> Added {
        var byCodebase: [String: PartialSourceStamp] = [:]
        for stamp in sourceStamps {
            guard byCodebase.updateValue(stamp, forKey: stamp.codebase) == nil else {
                throw GantryError(.invalidArgument, "two sourcestamps were given for codebase '\(stamp.codebase)'")
            }
        }
        var stamps: [SourceStampSpec] = options.codebases.keys.sorted().map { codebase in
            .fields(defaults(for: byCodebase[codebase] ?? PartialSourceStamp(codebase: codebase), request))
        }
        for stamp in sourceStamps where options.codebases[stamp.codebase] == nil {
            stamps.append(
                .fields(
                    SourceStampFields(
                        branch: stamp.branch, revision: stamp.revision, repository: stamp.repository ?? "",
                        codebase: stamp.codebase, project: "")))
        }
        var request = request
        request.priority = request.priority ?? options.priority.priority(for: [])
        return try await add(request, stamps: stamps, changes: [])
    }

    private func defaults(for stamp: PartialSourceStamp, _ request: Request) -> SourceStampFields {
        let defaults =
            request.recordedCodebases[stamp.codebase] ?? options.codebases[stamp.codebase] ?? CodebaseDefaults()
        return SourceStampFields(
            branch: stamp.branch ?? defaults.branch,
            revision: stamp.revision ?? defaults.revision,
            repository: stamp.repository ?? defaults.repository,
            codebase: stamp.codebase,
            project: stamp.project ?? ""
        )
    }

    private func add(_ request: Request, stamps: [SourceStampSpec], changes: [Change]) async throws -> Added {
        var stampIDs: [Int] = []
        for stamp in stamps {
            switch stamp {
            case .id(let id): stampIDs.append(id)
            case .fields(let fields): stampIDs.append(try await database.sourceStamps.findSourceStampId(fields))
            }
        }
        // Change properties are stored as `[value, source]` pairs already.
        var properties: [String: JSONValue] = [:]
        for change in changes.sorted(by: { $0.id < $1.id }) {
            properties.merge(change.properties) { _, newer in newer }
        }
        properties.merge(request.properties) { _, passed in passed }
        for (name, value) in options.properties { properties[name] = [value, "Scheduler"] }
        properties["scheduler"] = [.string(options.name), "Scheduler"]
        let builderIDs = try await builderIDs(request.builderNames ?? options.builderNames)
        let now = database.clock.now()
        let added = try await database.buildsets.addBuildset(
            fence: request.fence,
            reason: request.reason,
            builderids: builderIDs,
            sourceStampIDs: stampIDs,
            properties: properties,
            externalIDString: request.externalID,
            priority: request.priority ?? 0,
            waitedFor: request.waitedFor,
            state: request.state?(now) ?? [],
            consumedChangeIDs: request.consumedChangeIDs,
            submittedAt: now,
            parent: request.parent
        )
        logger.info(
            "buildset added",
            metadata: [LogKey.buildset: "\(added.buildsetID)", LogKey.buildsetReason: "\(request.reason)"])
        return Added(buildsetID: added.buildsetID, requestIDs: added.requestIDs)
    }

    /// The ids of the named builders the cluster knows; the others are dropped with a warning, as in Buildbot.
    func builderIDs(_ names: [String]) async throws -> [Int] {
        let known = try await database.builders.builderIDs(named: names)
        let unknown = names.filter { known[$0] == nil }
        if !unknown.isEmpty {
            logger.warning(
                "unknown builders dropped from the buildset",
                metadata: [LogKey.unknownBuilders: "\(unknown.joined(separator: ", "))"])
        }
        return names.compactMap { known[$0] }
    }
}
