import Foundation
public import GantryModel
import SQLKit

/// The steps of builds.
public struct StepsConnector: Sendable {
    let database: Database

    /// Adds the next step of build `buildid`. A name already used in the build gets `_2`, `_3`... as in Buildbot.
    public func addStep(buildid: Int, name: String) async throws -> BuildStep {
        try await database.withTransaction { sql in try await add(buildid: buildid, name: name, in: sql) }
    }

    /// Adds step `name` to build `buildid` and starts it, with a log of its own (a build's step and its `stdio`),
    /// all in one transaction: a step's start costs one. It shows `stateString` when given (what it does, known as
    /// it starts); see ``startStep(_:stateString:)``.
    /// - Returns: The step, and its log's id.
    public func startStep(
        buildid: Int, name: String, stateString: String?, log: String, kind: StepLog.Kind
    ) async throws -> (step: BuildStep, logID: Int) {
        let now = database.clock.epochSeconds()
        return try await database.withTransaction { sql in
            let step = try await insert(buildid: buildid, name: name, in: sql)
            try await Self.markStarted(step.id, at: now, stateString: stateString, in: sql)
            // A new step has no log yet: no slug is taken.
            let log = try await LogsConnector.insert(stepid: step.id, name: log, kind: kind, taken: [], in: sql)
            var events = FeedChanges(.steps, [step.id], "new")
            events.add(.steps, [step.id], "started")
            events.add(log.events)
            try await EventsConnector.record(events, in: sql, database: database)
            return (step, log.id)
        }
    }

    private func add(buildid: Int, name: String, in sql: any SQLDatabase) async throws -> BuildStep {
        let step = try await insert(buildid: buildid, name: name, in: sql)
        try await EventsConnector.record(FeedChanges(.steps, [step.id], "new"), in: sql, database: database)
        return step
    }

    /// Inserts step `name`, made unique within the build, as the build's next; the caller records its event.
    private func insert(buildid: Int, name: String, in sql: any SQLDatabase) async throws -> BuildStep {
        let taken = Set(
            try await sql.select().column("name").from("steps").where("buildid", .equal, buildid)
                .all(decodingColumn: "name", as: String.self))
        var unique = String(name.prefix(50))
        var suffix = 2
        while taken.contains(unique) {
            let tail = "_\(suffix)"
            unique = String(name.prefix(50 - tail.count)) + tail
            suffix += 1
        }
        let number = taken.count
        guard
            let id = try await sql.insert(into: "steps")
                .columns("number", "name", "buildid", "state_string")
                .values(SQLBind(number), SQLBind(unique), SQLBind(buildid), SQLBind("pending"))
                .returning("id")
                .first(decodingColumn: "id", as: Int.self)
        else { throw StorageInvariantError("step insert returned no id") }
        return BuildStep(id: id, number: number, name: unique, buildID: buildid, stateString: "pending")
    }

    /// Starts step `id`, showing `stateString` when given (what it does, known as it starts).
    public func startStep(_ id: Int, stateString: String? = nil) async throws {
        let now = database.clock.epochSeconds()
        try await database.withTransaction { sql in
            try await Self.markStarted(id, at: now, stateString: stateString, in: sql)
            try await EventsConnector.record(FeedChanges(.steps, [id], "started"), in: sql, database: database)
        }
    }

    /// Step `id` started at `now`, in the caller's transaction, which records the event.
    private static func markStarted(_ id: Int, at now: Int, stateString: String?, in sql: any SQLDatabase) async throws
    {
        // A step without locks has them as it starts, as in Buildbot; one with locks moves this on taking them.
        let update = sql.update("steps").set("started_at", to: now).set("locks_acquired_at", to: now)
        if let stateString { update.set("state_string", to: stateString) }
        try await update.where("id", .equal, id).run()
    }

    public func setStepStateString(_ id: Int, _ stateString: String) async throws {
        try await database.withTransaction { sql in
            try await sql.update("steps").set("state_string", to: stateString).where("id", .equal, id).run()
            try await EventsConnector.record(FeedChanges(.steps, [id], "updated"), in: sql, database: database)
        }
    }

    /// Adds a link to step `id` (Buildbot's `addStepURL`), unless it has that one already.
    public func addStepURL(_ id: Int, name: String, url: String) async throws {
        let dialect = database.dialect
        try await database.withTransaction { sql in
            // The list is read and written back: two writers of one step take turns.
            let read = sql.select().column("urls_json").from("steps").where("id", .equal, id)
            if let lock = dialect.updateLock { read.lockingClause(lock) }
            guard let stored = try await read.first(decodingColumn: "urls_json", as: String.self) else {
                throw GantryError(.notFound, "no step \(id)")
            }
            var urls = try JSONValue(json: stored).elements
            let link: JSONValue = ["name": .string(name), "url": .string(url)]
            guard !urls.contains(link) else { return }
            urls.append(link)
            try await sql.update("steps").set("urls_json", to: JSONValue.array(urls).jsonText)
                .where("id", .equal, id).run()
            try await EventsConnector.record(FeedChanges(.steps, [id], "updated"), in: sql, database: database)
        }
    }

    /// Finishes step `id` with its final `stateString` when given; a finished step keeps its results.
    /// `logs` are the step's logs still open: they end with it, in the same transaction, after the lines of
    /// `lastLines` (by log; whole lines, each ending with a newline) are appended to them. Where the logs are
    /// kept in the database (`logStorage`), those already as merging would leave them are settled then too; this
    /// master's log settler is woken for the others once the transaction commits.
    public func finishStep(
        _ id: Int, results: BuildResult, stateString: String? = nil, hidden: Bool = false, logs: [Int] = [],
        lastLines: [Int: String] = [:], logStorage: LogStorage = .database
    ) async throws {
        let now = database.clock.epochSeconds()
        guard Set(lastLines.keys).isSubset(of: logs) else {
            throw GantryError(.invalidArgument, "last lines are only for the logs the step's end finishes")
        }
        // Cut and compressed before the transaction, which then only writes.
        let chunks = try lastLines.mapValues(EncodedLogChunk.cutting(lines:))
        let unsettled = try await database.withTransaction { sql in
            var unsettled = false
            for log in logs {
                let left = try await LogsConnector.finish(
                    log, appending: chunks[log] ?? [], settling: logStorage == .database, in: sql, database: database)
                unsettled = unsettled || left
            }
            let update = sql.update("steps")
                .set("complete_at", to: now)
                .set("results", to: results.rawValue)
                .set("hidden", to: hidden)
            if let stateString { update.set("state_string", to: stateString) }
            let finished =
                try await update
                .where("id", .equal, id)
                .where(SQLColumn("complete_at"), .is, SQLLiteral.null)
                .returning("id").all(decodingColumn: "id", as: Int.self)
            try await EventsConnector.record(FeedChanges(.steps, finished, "finished"), in: sql, database: database)
            return unsettled
        }
        if unsettled { database.notifier.deliver(.logsFinished) }
    }

    /// The steps of build `buildid`, in order.
    public func getSteps(buildid: Int) async throws -> [BuildStep] {
        try await database.withTransaction { sql in
            try await Self.steps(sql.select().where("buildid", .equal, buildid))
        }
    }

    /// The step `id`; `nil` when there is none.
    public func getStep(_ id: Int) async throws -> BuildStep? {
        try await database.withTransaction { sql in try await Self.steps(sql.select().where("id", .equal, id)).first }
    }

    /// The data-API resources of steps `ids`, read in the caller's transaction.
    static func resources(_ ids: [Int], in sql: any SQLDatabase) async throws -> [Int: JSONValue] {
        Dictionary(
            uniqueKeysWithValues: try await steps(sql.select().where("id", .in, SQLBind.group(ids))).map {
                ($0.id, $0.resource)
            })
    }

    private static func steps(_ query: SQLSelectBuilder) async throws -> [BuildStep] {
        func date(_ seconds: Int?) -> Date? { seconds.map { Date(timeIntervalSince1970: TimeInterval($0)) } }
        return
            try await query
            .columns(
                "id", "number", "name", "buildid", "started_at", "complete_at", "state_string", "results", "hidden",
                "urls_json", "locks_acquired_at"
            )
            .from("steps")
            .orderBy("number")
            .all()
            .map { row in
                BuildStep(
                    id: try row.decode(column: "id", as: Int.self),
                    number: try row.decode(column: "number", as: Int.self),
                    name: try row.decode(column: "name", as: String.self),
                    buildID: try row.decode(column: "buildid", as: Int.self),
                    startedAt: date(try row.decode(column: "started_at", as: Int?.self)),
                    completeAt: date(try row.decode(column: "complete_at", as: Int?.self)),
                    stateString: try row.decode(column: "state_string", as: String.self),
                    results: try row.decode(column: "results", as: Int?.self).flatMap(BuildResult.init(rawValue:)),
                    hidden: try row.decode(column: "hidden", as: Bool.self),
                    locksAcquiredAt: date(try row.decode(column: "locks_acquired_at", as: Int?.self)),
                    urls: try Self.urls(try row.decode(column: "urls_json", as: String.self))
                )
            }
    }

    /// The links stored as `urls_json`.
    private static func urls(_ json: String) throws -> [StepURL] {
        try JSONValue(json: json).elements.compactMap { link -> StepURL? in
            guard let name = link["name"]?.string, let url = link["url"]?.string else { return nil }
            return StepURL(name: name, url: url)
        }
    }
}

extension Database {
    /// The steps connector of this database.
    public var steps: StepsConnector { StepsConnector(database: self) }
}
