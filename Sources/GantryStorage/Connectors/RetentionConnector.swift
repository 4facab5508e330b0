import Foundation
public import GantryModel
import SQLKit

/// Deletes what the retention settings no longer keep: the lines of old builds' logs, as Buildbot's janitor
/// (`deleteOldLogChunks`) does, and beyond it the old builds themselves, the buildsets and changes nothing needs
/// any more, audit entries and settled reports.
///
/// Each transaction deletes at most ``batchSize`` rows chosen by id (with their children: a build's steps, logs and
/// properties; a buildset's requests), so the masters' own writes never wait long behind a pass. Nothing unfinished
/// is touched: a running build, a pending request, an incomplete buildset, or a change such a buildset builds.
/// Deleted rows get no events in the feed.
public struct RetentionConnector: Sendable {
    let database: Database
    /// The most rows a transaction chooses to delete.
    public let batchSize: Int

    /// The default ``batchSize``: as many ids as one statement binds.
    public static let defaultBatchSize = Batches.size

    /// A place in the order rows are visited in: by time, then by id.
    private struct Position {
        var time: Int
        var id: Int
    }

    /// Runs one pass at the database clock's time: empties the logs of the builds that finished before the logs'
    /// horizon (or the builds' horizon, when that is later), then deletes the builds that finished before the builds'
    /// horizon, and everything else that old which nothing needs any more.
    ///
    /// - Parameters:
    ///   - progress: What this caller's earlier passes did, moved on once the logs are done; a new value for the
    ///     first pass.
    ///   - fence: The janitor's claim, checked by every transaction that deletes: a deposed master's pass stops at
    ///     its next batch with `GantryError.fenced`, having written nothing more. `nil` for a one-off run.
    /// - Returns: What the pass deleted.
    public func deleteOld(
        _ settings: RetentionSettings, progress: inout RetentionProgress, fence: ClaimFence?
    ) async throws -> RetentionReport {
        let now = database.clock.now()
        var report = RetentionReport()
        if let cutoff = settings.logsCutoff(at: now)?.epochSeconds {
            try await emptyLogs(finishedBefore: cutoff, since: progress.logsEmptiedBefore, fence: fence, into: &report)
            progress.logsEmptiedBefore = max(progress.logsEmptiedBefore ?? cutoff, cutoff)
        }
        guard let cutoff = settings.buildsCutoff(at: now)?.epochSeconds else { return report }
        try await deleteBuilds(finishedBefore: cutoff, fence: fence, into: &report)
        try await deleteBuildsets(completedBefore: cutoff, fence: fence, into: &report)
        try await deleteChanges(before: cutoff, fence: fence, into: &report)
        try await deleteAuditEntries(before: cutoff, fence: fence, into: &report)
        try await deleteSettledReports(before: cutoff, fence: fence, into: &report)
        return report
    }

    // MARK: - Logs

    /// Empties the logs of the builds that finished before `cutoff` (and not before `since`, whose earlier builds an
    /// earlier pass emptied), a batch of builds at a time.
    private func emptyLogs(
        finishedBefore cutoff: Int, since: Int?, fence: ClaimFence?, into report: inout RetentionReport
    ) async throws {
        // The first build visited is the first that finished at `since` or later, whatever its id, less a margin:
        // a build's finish time is its master's clock, and a master whose clock lags may record a finish the last
        // pass already went beyond. Logs emptied already are passed over again at the cost of a read.
        var after = since.map { Position(time: $0.addingSaturated(-Self.finishClockMargin), id: .min) }
        while true {
            let builds = try await transaction(nil) { sql in
                try await nextBatch(
                    from: "builds", id: "id", time: "complete_at", before: cutoff, after: after, in: sql)
            }
            guard let last = builds.last else { return }
            while try await deleteChunks(ofBuilds: builds.map(\.id), fence: fence, into: &report) {}
            if builds.count < batchSize { return }
            after = last
        }
    }

    /// How far (seconds) before the last pass's horizon a pass looks again for builds whose logs to empty.
    static let finishClockMargin = 3600

    /// Deletes at most ``batchSize`` chunks of the logs of `buildIDs`; once none is left, marks those logs emptied
    /// (type `d`, as Buildbot does). Returns whether chunks remain.
    private func deleteChunks(
        ofBuilds buildIDs: [Int], fence: ClaimFence?, into report: inout RetentionReport
    ) async throws -> Bool {
        let size = batchSize
        let deleted = StepLog.Kind.deleted.rawValue
        let (batch, remain) = try await transaction(fence) { sql -> (RetentionReport, Bool) in
            var batch = RetentionReport()
            let steps: SQLQueryString = "SELECT id FROM steps WHERE buildid IN (\(binds: buildIDs))"
            let logs: SQLQueryString = "SELECT id FROM logs WHERE stepid IN (\(steps))"
            let chunks = try await sql.raw(
                """
                SELECT logid, first_line FROM logchunks WHERE logid IN (\(logs))
                ORDER BY logid, first_line LIMIT \(literal: size)
                """
            ).all()
            guard chunks.count == size, let last = chunks.last else {
                try await Self.delete(from: "logchunks", where: "logid", in: logs, sql, into: &batch)
                try await Self.forgetArchives(ofLogsIn: logs, sql, into: &batch)
                batch.emptiedLogs = try await sql.raw(
                    """
                    UPDATE logs SET type = \(bind: deleted)
                    WHERE type <> \(bind: deleted) AND stepid IN (\(steps)) RETURNING id
                    """
                ).all().count
                return (batch, false)
            }
            // The chunks chosen are every chunk of the logs before the last one chosen, and the first of that one.
            let logid = try last.decode(column: "logid", as: Int.self)
            let firstLine = try last.decode(column: "first_line", as: Int.self)
            let whole = try await sql.raw(
                "DELETE FROM logchunks WHERE logid IN (\(logs)) AND logid < \(bind: logid) RETURNING logid"
            ).all().count
            let part = try await sql.raw(
                """
                DELETE FROM logchunks WHERE logid = \(bind: logid) AND first_line <= \(bind: firstLine)
                RETURNING logid
                """
            ).all().count
            batch.add(whole.addingSaturated(part), from: "logchunks")
            return (batch, true)
        }
        removeArchives(batch)
        report.merge(batch)
        return remain
    }

    // MARK: - Builds and what hangs on them

    /// Deletes the builds that finished before `cutoff`, with their logs (emptied already), steps and properties.
    private func deleteBuilds(finishedBefore cutoff: Int, fence: ClaimFence?, into report: inout RetentionReport)
        async throws
    {
        try await deleteInBatches(
            from: "builds", id: "id", time: "complete_at", before: cutoff, fence: fence, into: &report
        ) { ids, sql, batch in
            let builds: SQLQueryString = "\(binds: ids)"
            let steps: SQLQueryString = "SELECT id FROM steps WHERE buildid IN (\(binds: ids))"
            try await Self.forgetArchives(ofLogsIn: "SELECT id FROM logs WHERE stepid IN (\(steps))", sql, into: &batch)
            // The buildsets these builds triggered forget their parent whole: the foreign key clears only its id.
            try await sql.raw(
                "UPDATE buildsets SET parent_relationship = NULL WHERE parent_buildid IN (\(builds))"
            ).run()
            try await Self.delete(from: "logs", where: "stepid", in: steps, sql, into: &batch)
            try await Self.delete(from: "steps", where: "buildid", in: builds, sql, into: &batch)
            try await Self.delete(from: "build_properties", where: "buildid", in: builds, sql, into: &batch)
            try await Self.delete(from: "builds", where: "id", in: builds, sql, into: &batch)
        }
    }

    /// Deletes the buildsets completed before `cutoff` that no build refers to any more (through their requests),
    /// with their requests, the requests' claims, the buildsets' properties and their links to source stamps.
    private func deleteBuildsets(completedBefore cutoff: Int, fence: ClaimFence?, into report: inout RetentionReport)
        async throws
    {
        // The flags are tested bare, not compared: SQLite would otherwise pick their indexes over the ones on
        // completion time and on the buildset, and sort every completed buildset for each batch.
        let finished: SQLQueryString = """
            complete
            AND NOT EXISTS (
                SELECT 1 FROM buildrequests
                WHERE buildrequests.buildsetid = buildsets.id AND NOT buildrequests.complete)
            AND NOT EXISTS (
                SELECT 1 FROM buildrequests JOIN builds ON builds.buildrequestid = buildrequests.id
                WHERE buildrequests.buildsetid = buildsets.id)
            """
        try await deleteInBatches(
            from: "buildsets", id: "id", time: "complete_at", before: cutoff, where: finished, fence: fence,
            into: &report
        ) { ids, sql, batch in
            let buildsets: SQLQueryString = "\(binds: ids)"
            let requests: SQLQueryString = "SELECT id FROM buildrequests WHERE buildsetid IN (\(binds: ids))"
            try await Self.delete(from: "buildrequest_claims", where: "brid", in: requests, sql, into: &batch)
            try await Self.delete(from: "buildrequests", where: "buildsetid", in: buildsets, sql, into: &batch)
            try await Self.delete(from: "buildset_properties", where: "buildsetid", in: buildsets, sql, into: &batch)
            try await Self.delete(from: "buildset_sourcestamps", where: "buildsetid", in: buildsets, sql, into: &batch)
            try await Self.delete(from: "buildsets", where: "id", in: buildsets, sql, into: &batch)
        }
    }

    /// Deletes the changes made and recorded before `cutoff` that no buildset still stored builds (so none that a
    /// pending buildset needs, and none a kept build shows) and that no scheduler holds classified (a tree-stable
    /// timer or an unimportant change waiting for the next build), with their files and properties. A change counts as recorded when its source stamp was: an old commit that arrives today (a
    /// poller's first look at a repository) is as new as any to the schedulers.
    private func deleteChanges(before cutoff: Int, fence: ClaimFence?, into report: inout RetentionReport) async throws
    {
        let unneeded: SQLQueryString = """
            EXISTS (
                SELECT 1 FROM sourcestamps
                WHERE sourcestamps.id = changes.sourcestampid AND sourcestamps.created_at < \(bind: cutoff))
            AND NOT EXISTS (
                SELECT 1 FROM buildset_sourcestamps WHERE buildset_sourcestamps.sourcestampid = changes.sourcestampid)
            AND NOT EXISTS (SELECT 1 FROM scheduler_changes WHERE scheduler_changes.changeid = changes.changeid)
            """
        try await deleteInBatches(
            from: "changes", id: "changeid", time: "when_timestamp", before: cutoff, where: unneeded, fence: fence,
            into: &report
        ) { ids, sql, batch in
            let changes: SQLQueryString = "\(binds: ids)"
            try await Self.delete(from: "change_files", where: "changeid", in: changes, sql, into: &batch)
            try await Self.delete(from: "change_properties", where: "changeid", in: changes, sql, into: &batch)
            try await Self.delete(from: "changes", where: "changeid", in: changes, sql, into: &batch)
        }
    }

    /// Deletes the audit entries recorded before `cutoff`.
    private func deleteAuditEntries(before cutoff: Int, fence: ClaimFence?, into report: inout RetentionReport)
        async throws
    {
        try await deleteInBatches(
            from: "audit_log", id: "id", time: "at", before: cutoff, fence: fence, into: &report
        ) { ids, sql, batch in
            try await Self.delete(from: "audit_log", where: "id", in: "\(binds: ids)", sql, into: &batch)
        }
    }

    /// Deletes the reporters' deliveries created before `cutoff` that are settled (delivered, failed, superseded or
    /// interrupted); pending ones stay, however old.
    private func deleteSettledReports(before cutoff: Int, fence: ClaimFence?, into report: inout RetentionReport)
        async throws
    {
        let settled: SQLQueryString = "state IN (\(binds: DeliveryState.finished.map(\.rawValue)))"
        try await deleteInBatches(
            from: "reporter_deliveries", id: "id", time: "created_at", before: cutoff, where: settled, fence: fence,
            into: &report
        ) { ids, sql, batch in
            try await Self.delete(from: "reporter_deliveries", where: "id", in: "\(binds: ids)", sql, into: &batch)
        }
    }

    // MARK: - Batches

    /// Deletes the rows of `table` whose `time` is before `cutoff` and that `condition` keeps, a batch per
    /// transaction: `delete` removes the rows of the ids it is given, and their children, counting them.
    private func deleteInBatches(
        from table: String, id: String, time: String, before cutoff: Int, where condition: SQLQueryString? = nil,
        fence: ClaimFence?, into report: inout RetentionReport,
        _ delete: ([Int], any SQLDatabase, inout RetentionReport) async throws -> Void
    ) async throws {
        // Rows the condition skips are passed over once, not looked at again by every later batch.
        var after: Position?
        while true {
            let (rows, batch) = try await transaction(fence) { sql -> ([Position], RetentionReport) in
                let rows = try await nextBatch(
                    from: table, id: id, time: time, before: cutoff, after: after, where: condition, in: sql)
                var batch = RetentionReport()
                if !rows.isEmpty { try await delete(rows.map(\.id), sql, &batch) }
                return (rows, batch)
            }
            removeArchives(batch)
            report.merge(batch)
            guard let last = rows.last, rows.count == batchSize else { return }
            after = last
        }
    }

    /// The next ``batchSize`` rows of `table` after `after`, by `time` then `id`, whose `time` is before `cutoff`
    /// and that `condition` (SQL about the row, naming its table) keeps. Served by an index on (`time`, `id`).
    private func nextBatch(
        from table: String, id: String, time: String, before cutoff: Int, after: Position?,
        where condition: SQLQueryString? = nil, in sql: any SQLDatabase
    ) async throws -> [Position] {
        var later: SQLQueryString = ""
        if let after {
            // The bound on `time` alone lets the index start there rather than at the oldest row.
            later = """
                AND \(ident: time) >= \(bind: after.time)
                AND (\(ident: time) > \(bind: after.time) OR \(ident: id) > \(bind: after.id))
                """
        }
        var kept: SQLQueryString = ""
        if let condition { kept = "AND \(condition)" }
        return try await sql.raw(
            """
            SELECT \(ident: id) AS row_id, \(ident: time) AS row_time FROM \(ident: table)
            WHERE \(ident: time) < \(bind: cutoff) \(later) \(kept)
            ORDER BY \(ident: time), \(ident: id) LIMIT \(literal: batchSize)
            """
        ).all().map { row in
            Position(
                time: try row.decode(column: "row_time", as: Int.self),
                id: try row.decode(column: "row_id", as: Int.self))
        }
    }

    /// Deletes the rows of `table` whose `column` is in `values` (binds, or a subquery), counting them.
    private static func delete(
        from table: String, where column: String, in values: SQLQueryString, _ sql: any SQLDatabase,
        into batch: inout RetentionReport
    ) async throws {
        let count = try await sql.raw(
            "DELETE FROM \(ident: table) WHERE \(ident: column) IN (\(values)) RETURNING \(ident: column)"
        ).all().count
        batch.add(count, from: table)
    }

    /// Takes the archive files of the logs `logs` (a subquery) out of their rows, to be removed once the
    /// transaction commits (``removeArchives(_:)``).
    private static func forgetArchives(
        ofLogsIn logs: SQLQueryString, _ sql: any SQLDatabase, into batch: inout RetentionReport
    ) async throws {
        let archived: SQLQueryString = "archive IS NOT NULL AND id IN (\(logs))"
        batch.archives += try await sql.raw("SELECT archive FROM logs WHERE \(archived)")
            .all(decodingColumn: "archive", as: String.self)
        try await sql.raw("UPDATE logs SET archive = NULL WHERE \(archived)").run()
    }

    /// Removes the archive files a committed batch took out of their logs. A file that cannot be removed (or a
    /// master that dies first) is left behind, logged: the database no longer names it, and no reader looks for it.
    private func removeArchives(_ batch: RetentionReport) {
        for path in batch.archives {
            do {
                try FileManager.default.removeItem(atPath: path)
            } catch let error as CocoaError where error.code == .fileNoSuchFile {
                continue
            } catch {
                database.logger.warning(
                    "log archive not removed", metadata: [LogKey.path: "\(path)", LogKey.error: "\(error)"])
            }
        }
    }

    /// Runs `body` in one transaction, after checking `fence` when there is one.
    private func transaction<T: Sendable>(
        _ fence: ClaimFence?, _ body: (any SQLDatabase) async throws -> T
    ) async throws -> T {
        let dialect = database.dialect
        return try await database.withTransaction { sql in
            if let fence { try await ServiceClaims(kind: fence.kind, dialect: dialect).requireCurrent(fence, in: sql) }
            return try await body(sql)
        }
    }
}

extension Database {
    /// The retention connector of this database, choosing at most `batchSize` rows per transaction (held within
    /// 1...``RetentionConnector/defaultBatchSize``).
    public func retention(batchSize: Int = RetentionConnector.defaultBatchSize) -> RetentionConnector {
        RetentionConnector(database: self, batchSize: min(max(batchSize, 1), RetentionConnector.defaultBatchSize))
    }
}
