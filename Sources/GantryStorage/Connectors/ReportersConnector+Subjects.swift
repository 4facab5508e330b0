import Foundation
public import GantryModel
import SQLKit

extension ReportersConnector {
    /// The report subjects of `events`, in event order: one for each event keyed `buildrequests/<id>/new`,
    /// `builds/<id>/new`, `builds/<id>/finished` or `buildrequests/<id>/cancelled`; other events are ignored, and
    /// an event whose build or request is gone is skipped. Read in one transaction, a statement per table and batch
    /// of ids rather than per event.
    ///
    /// A subject shows the build as the tables hold it now, except that a `started` subject's build has no results
    /// yet, as at that moment.
    /// - Parameter details: Whether `finished` subjects carry the previous build's results and the failing steps
    ///   with their log tails (the mail reporter's needs).
    public func subjects(for events: [FeedEvent], details: Bool) async throws -> [ReportSubject] {
        let wanted = events.compactMap(SubjectEvent.init)
        guard !wanted.isEmpty else { return [] }
        return try await database.withTransaction { sql in try await Self.subjects(wanted, details: details, in: sql) }
    }

    private static func subjects(
        _ wanted: [SubjectEvent], details: Bool, in sql: any SQLDatabase
    ) async throws -> [ReportSubject] {
        let builds = try await Self.builds(Set(wanted.filter(\.namesBuild).map(\.id)), in: sql)
        let requests = try await Self.requests(
            Set(wanted.filter { !$0.namesBuild }.map(\.id)).union(builds.values.map(\.requestID)), in: sql)
        let buildsets = Set(requests.values.map(\.buildsetID))
        let reasons = try await Self.reasons(buildsets, in: sql)
        let builders = try await Self.builders(
            Set(requests.values.map(\.builderID)).union(builds.values.map(\.builderID)), in: sql)
        let stamps = try await Self.sourceStamps(buildsets, in: sql)
        let blamelists = try await Self.blamelists(buildsets, in: sql)
        var failing: [Int: [ReportStep]] = [:]
        if details {
            let finished = wanted.filter { $0.moment == .finished && builds[$0.id] != nil }.map(\.id)
            failing = try await Self.failingSteps(of: Set(finished), in: sql)
        }

        var subjects: [ReportSubject] = []
        for event in wanted {
            let build = event.namesBuild ? builds[event.id] : nil
            if event.namesBuild && build == nil { continue }
            let requestID = build?.requestID ?? event.id
            guard let request = requests[requestID], let builder = builders[build?.builderID ?? request.builderID]
            else { continue }
            var subject = ReportSubject(
                eventID: event.eventID, moment: event.moment, builder: builder, buildRequestID: requestID,
                buildsetID: request.buildsetID, reason: reasons[request.buildsetID] ?? "", build: build?.build,
                sourceStamps: stamps[request.buildsetID] ?? [], blamelist: blamelists[request.buildsetID] ?? [])
            switch event.moment {
            case .started:
                subject.build?.results = nil
                subject.build?.completeAt = nil
            case .finished where details:
                if let build {
                    subject.previousResults = try await Self.previousResults(
                        of: event.id, builderID: build.builderID, in: sql)
                }
                subject.failingSteps = failing[event.id] ?? []
            case .requested, .cancelled, .finished:
                break
            }
            subjects.append(subject)
        }
        return subjects
    }

    /// The rows `query` reads for `ids`, given the bound group of each batch of them; none for no ids (PostgreSQL
    /// rejects `IN ()`).
    private static func batched(
        _ ids: Set<Int>, _ query: (any SQLExpression) -> SQLSelectBuilder
    ) async throws -> [any SQLRow] {
        var rows: [any SQLRow] = []
        for batch in Batches.of(ids.sorted()) { rows += try await query(SQLBind.group(Array(batch))).all() }
        return rows
    }

    private static func builds(_ ids: Set<Int>, in sql: any SQLDatabase) async throws -> [Int: SubjectBuild] {
        let rows = try await batched(ids) { group in
            sql.select()
                .column(SQLColumn("id", table: "builds"))
                .columns("number", "builderid", "buildrequestid", "results", "state_string", "started_at")
                .column("complete_at")
                .column(SQLColumn("name", table: "workers"), as: "worker_name")
                .from("builds")
                .join(
                    "workers", method: SQLJoinMethod.left,
                    on: SQLColumn("id", table: "workers"), .equal, SQLColumn("workerid", table: "builds")
                )
                .where(SQLColumn("id", table: "builds"), .in, group)
        }
        var builds: [Int: SubjectBuild] = [:]
        for row in rows {
            let id = try row.decode(column: "id", as: Int.self)
            builds[id] = SubjectBuild(
                build: ReportBuild(
                    id: id,
                    number: try row.decode(column: "number", as: Int.self),
                    results: try row.decode(column: "results", as: Int?.self).flatMap(BuildResult.init(rawValue:)),
                    stateString: try row.decode(column: "state_string", as: String.self),
                    startedAt: Date(epochSeconds: try row.decode(column: "started_at", as: Int.self)),
                    completeAt: try row.decode(column: "complete_at", as: Int?.self).map(Date.init(epochSeconds:)),
                    workerName: try row.decode(column: "worker_name", as: String?.self)
                ),
                builderID: try row.decode(column: "builderid", as: Int.self),
                requestID: try row.decode(column: "buildrequestid", as: Int.self)
            )
        }
        return builds
    }

    private static func requests(_ ids: Set<Int>, in sql: any SQLDatabase) async throws -> [Int: SubjectRequest] {
        let rows = try await batched(ids) { group in
            sql.select().columns("id", "buildsetid", "builderid").from("buildrequests").where("id", .in, group)
        }
        var requests: [Int: SubjectRequest] = [:]
        for row in rows {
            requests[try row.decode(column: "id", as: Int.self)] = SubjectRequest(
                buildsetID: try row.decode(column: "buildsetid", as: Int.self),
                builderID: try row.decode(column: "builderid", as: Int.self))
        }
        return requests
    }

    private static func reasons(_ buildsetIDs: Set<Int>, in sql: any SQLDatabase) async throws -> [Int: String] {
        let rows = try await batched(buildsetIDs) { group in
            sql.select().columns("id", "reason").from("buildsets").where("id", .in, group)
        }
        var reasons: [Int: String] = [:]
        for row in rows {
            reasons[try row.decode(column: "id", as: Int.self)] =
                try row.decode(column: "reason", as: String?.self) ?? ""
        }
        return reasons
    }

    private static func builders(_ ids: Set<Int>, in sql: any SQLDatabase) async throws -> [Int: ReportBuilder] {
        let rows = try await batched(ids) { group in
            sql.select().columns("id", "name", "tags").from("builders").where("id", .in, group)
        }
        var builders: [Int: ReportBuilder] = [:]
        for row in rows {
            let id = try row.decode(column: "id", as: Int.self)
            let tags = try JSONValue(json: try row.decode(column: "tags", as: String.self))
            builders[id] = ReportBuilder(
                id: id, name: try row.decode(column: "name", as: String.self), tags: tags.elements.compactMap(\.string))
        }
        return builders
    }

    /// The source stamps of each buildset, by stamp id, as the buildset lists them.
    private static func sourceStamps(
        _ buildsetIDs: Set<Int>, in sql: any SQLDatabase
    ) async throws -> [Int: [ReportSourceStamp]] {
        let rows = try await batched(buildsetIDs) { group in
            sql.select()
                .column(SQLColumn("buildsetid", table: "buildset_sourcestamps"))
                .columns("repository", "branch", "revision", "project", "codebase")
                .from("buildset_sourcestamps")
                .join(
                    "sourcestamps",
                    on: SQLColumn("id", table: "sourcestamps"), .equal,
                    SQLColumn("sourcestampid", table: "buildset_sourcestamps")
                )
                .where(SQLColumn("buildsetid", table: "buildset_sourcestamps"), .in, group)
                .orderBy(SQLColumn("id", table: "sourcestamps"))
        }
        var stamps: [Int: [ReportSourceStamp]] = [:]
        for row in rows {
            stamps[try row.decode(column: "buildsetid", as: Int.self), default: []].append(
                ReportSourceStamp(
                    repository: try row.decode(column: "repository", as: String.self),
                    branch: try row.decode(column: "branch", as: String?.self),
                    revision: try row.decode(column: "revision", as: String?.self),
                    project: try row.decode(column: "project", as: String.self),
                    codebase: try row.decode(column: "codebase", as: String.self)
                ))
        }
        return stamps
    }

    /// The authors of the changes of each buildset's source stamps, each once, in the order of their first change.
    private static func blamelists(_ buildsetIDs: Set<Int>, in sql: any SQLDatabase) async throws -> [Int: [String]] {
        let rows = try await batched(buildsetIDs) { group in
            sql.select()
                .column(SQLColumn("buildsetid", table: "buildset_sourcestamps"))
                .column(SQLColumn("author", table: "changes"))
                .from("changes")
                .join(
                    "buildset_sourcestamps",
                    on: SQLColumn("sourcestampid", table: "buildset_sourcestamps"), .equal,
                    SQLColumn("sourcestampid", table: "changes")
                )
                .where(SQLColumn("buildsetid", table: "buildset_sourcestamps"), .in, group)
                .orderBy(SQLColumn("changeid", table: "changes"))
        }
        var authors: [Int: [String]] = [:]
        for row in rows {
            let buildset = try row.decode(column: "buildsetid", as: Int.self)
            let author = try row.decode(column: "author", as: String.self)
            if authors[buildset]?.contains(author) != true { authors[buildset, default: []].append(author) }
        }
        return authors
    }

    /// The results of the builder's newest finished build before `buildID`, as Buildbot's reporters find the
    /// previous build: a build that ended RETRY was not a verdict, so it is passed over.
    private static func previousResults(
        of buildID: Int, builderID: Int, in sql: any SQLDatabase
    ) async throws -> BuildResult? {
        let results =
            try await sql.select().column("results").from("builds")
            .where("builderid", .equal, builderID).where("id", .lessThan, buildID)
            .where(SQLColumn("complete_at"), .isNot, SQLLiteral.null)
            .where("results", .notEqual, BuildResult.retry.rawValue)
            .orderBy("id", .descending).limit(1)
            .first(decodingColumn: "results", as: Int?.self) ?? nil
        return results.flatMap(BuildResult.init(rawValue:))
    }

    /// The steps of each build that did not succeed (nor were skipped), in order, each with the tail of its last
    /// log.
    private static func failingSteps(
        of buildIDs: Set<Int>, in sql: any SQLDatabase
    ) async throws -> [Int: [ReportStep]] {
        let passed = [BuildResult.success.rawValue, BuildResult.skipped.rawValue]
        let steps = try await batched(buildIDs) { group in
            sql.select().columns("id", "number", "name", "buildid", "state_string", "results").from("steps")
                .where("buildid", .in, group)
                .where(SQLColumn("results"), .isNot, SQLLiteral.null)
                .where("results", .notIn, SQLBind.group(passed))
                .orderBy("number")
        }
        let stepIDs = Set(try steps.map { try $0.decode(column: "id", as: Int.self) })
        // Read in id order, so each step ends with its last log.
        let logs = try await batched(stepIDs) { group in
            sql.select().columns("id", "stepid", "name", "type", "num_lines").from("logs")
                .where("stepid", .in, group).orderBy("id")
        }
        var lastLogs: [Int: (id: Int, name: String, stdio: Bool, lines: Int)] = [:]
        for row in logs {
            lastLogs[try row.decode(column: "stepid", as: Int.self)] = (
                try row.decode(column: "id", as: Int.self), try row.decode(column: "name", as: String.self),
                try row.decode(column: "type", as: String.self) == StepLog.Kind.stdio.rawValue,
                try row.decode(column: "num_lines", as: Int.self)
            )
        }
        var failing: [Int: [ReportStep]] = [:]
        for row in steps {
            let id = try row.decode(column: "id", as: Int.self)
            guard let results = try row.decode(column: "results", as: Int?.self).flatMap(BuildResult.init(rawValue:))
            else { continue }
            var step = ReportStep(
                number: try row.decode(column: "number", as: Int.self),
                name: try row.decode(column: "name", as: String.self), results: results,
                stateString: try row.decode(column: "state_string", as: String.self))
            if let log = lastLogs[id] {
                step.logName = log.name
                let tail = try await LogsConnector.lines(
                    log.id, first: max(log.lines - ReportStep.tailLines, 0), last: log.lines - 1, in: sql)
                step.logTail = log.stdio ? withoutStreamPrefixes(tail) : tail
            }
            failing[try row.decode(column: "buildid", as: Int.self), default: []].append(step)
        }
        return failing
    }

    /// Lines of a stdio log without the stream (`o`, `e`, `h`) each starts with. Lines end at `\n` alone, as the
    /// log stores them: a `\r` before it stays part of its line.
    private static func withoutStreamPrefixes(_ text: String) -> String {
        text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            .map { String(Substring($0.dropFirst())) + "\n" }.joined()
    }
}

/// A feed event reporters report on, and the build or request it names.
private struct SubjectEvent {
    let eventID: Int
    let moment: ReportSubject.Moment
    /// The build id for `started` and `finished`, else the build request id.
    let id: Int

    var namesBuild: Bool {
        switch moment {
        case .started, .finished: true
        case .requested, .cancelled: false
        }
    }

    /// The subject event of `event`, or nil when reporters do not report on it.
    init?(_ event: FeedEvent) {
        let parts = event.key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, let id = Int(parts[1]) else { return nil }
        switch (parts[0], parts[2]) {
        case ("buildrequests", "new"): moment = .requested
        case ("builds", "new"): moment = .started
        case ("builds", "finished"): moment = .finished
        case ("buildrequests", "cancelled"): moment = .cancelled
        default: return nil
        }
        self.eventID = event.id
        self.id = id
    }
}

/// A subject's build request: the ids that lead to its buildset and builder.
private struct SubjectRequest {
    let buildsetID: Int
    let builderID: Int
}

/// A subject's build with the ids that lead to its request and builder.
private struct SubjectBuild {
    let build: ReportBuild
    let builderID: Int
    let requestID: Int
}
