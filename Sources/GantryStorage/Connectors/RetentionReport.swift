import GantryModel

/// What a retention pass did: the logs it emptied, and the rows it deleted from each table.
public struct RetentionReport: Sendable, Hashable, CustomStringConvertible {
    /// The tables a pass deletes from, in the order it deletes from them.
    public static let tables = [
        "logchunks", "logs", "steps", "build_properties", "builds", "buildrequest_claims", "buildrequests",
        "buildset_properties", "buildset_sourcestamps", "buildsets", "change_files", "change_properties",
        "changes", "audit_log", "reporter_deliveries",
    ]

    /// Logs whose lines were deleted. The logs themselves stay with their line counts, marked `d` as Buildbot
    /// marks them, until their build goes.
    public var emptiedLogs = 0
    /// The rows deleted, by table; a table the pass deleted nothing from is absent.
    public private(set) var deleted: [String: Int] = [:]
    /// How many log archive files went with the logs emptied or deleted.
    public var removedArchives = 0
    /// The archive files a batch took out of their logs, to remove once it commits; not carried by ``merge(_:)``.
    var archives: [String] = []

    /// Nothing done yet.
    public init() {}

    /// Counts `count` more rows deleted from `table`.
    mutating func add(_ count: Int, from table: String) {
        guard count > 0 else { return }
        deleted[table, default: 0] = deleted[table, default: 0].addingSaturated(count)
    }

    /// Adds the counts of `other`.
    mutating func merge(_ other: RetentionReport) {
        emptiedLogs = emptiedLogs.addingSaturated(other.emptiedLogs)
        for (table, count) in other.deleted { add(count, from: table) }
        removedArchives = removedArchives.addingSaturated(other.removedArchives).addingSaturated(other.archives.count)
    }

    /// The counts that are not zero (`emptied 3 logs; deleted logchunks 120, builds 3`), or that there were none.
    public var description: String {
        var parts: [String] = []
        if emptiedLogs > 0 { parts.append("emptied \(emptiedLogs) logs") }
        if removedArchives > 0 { parts.append("removed \(removedArchives) log archives") }
        let counts = Self.tables.compactMap { table in deleted[table].map { "\(table) \($0)" } }
        if !counts.isEmpty { parts.append("deleted " + counts.joined(separator: ", ")) }
        return parts.isEmpty ? "nothing to delete" : parts.joined(separator: "; ")
    }
}
