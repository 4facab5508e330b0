import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

/// Logs for the log storage tests: a step to hang them on, output that looks like a build's, and what the database
/// holds of a log.
enum LogFixture {
    /// A new empty log of `kind` on a new build's step.
    static func newLog(_ db: Database, kind: StepLog.Kind = .stdio) async throws -> Int {
        let master = try await db.masters.findMasterId("m1")
        let builder = try await db.builders.findBuilderId("b")
        let (_, requests) = try await db.buildsets.addBuildset(reason: "logs", builderids: [builder])
        let build = try await db.builds.addBuild(
            builderid: builder, buildrequestid: try #require(requests[builder]), workerid: nil, masterid: master)
        let step = try await db.steps.addStep(buildid: build.id, name: "compile")
        return try await db.logs.addLog(stepid: step.id, name: "stdio", kind: kind)
    }

    /// `count` lines of a build's stdio, stream character first and without newlines: compiler progress, warnings,
    /// test results and link steps, the same on every run.
    static func buildOutput(_ count: Int, seed: UInt64 = 1) -> [String] {
        var random = SplitMix64(seed: seed)
        let modules = ["core", "net", "storage", "api", "ui", "sched", "wire", "config"]
        return (0..<count).map { index in
            let module = modules.randomElement(using: &random) ?? "core"
            let file = Int.random(in: 0..<400, using: &random)
            let number = Int.random(in: 100..<2000, using: &random)
            switch Int.random(in: 0..<20, using: &random) {
            case 0..<9:
                return "o[\(100 * index / count)%] Building CXX object src/\(module)/CMakeFiles/\(module).dir/"
                    + "\(module)_\(file).cpp.o"
            case 9..<11:
                return "e/home/build/worker/src/\(module)/\(module)_\(file).cpp:\(number):\(file % 80 + 1): "
                    + "warning: unused variable 'tmp' [-Wunused-variable]"
            case 11..<17:
                return "oTest Case '-[\(module.capitalized)Tests test_\(module)_\(file)]' passed (0.\(number) seconds)."
            default:
                return "o[\(index)/\(count)] Linking CXX executable bin/\(module)_tool_\(file)"
            }
        }
    }

    /// `lines` as a log holds them, each ending in `\n`.
    static func text(_ lines: some Sequence<String>) -> String {
        lines.map { $0 + "\n" }.joined()
    }

    /// Appends `lines` to `log` a few at a time, as a running build's output arrives.
    static func append(_ lines: [String], to log: Int, by batch: Int, _ db: Database) async throws {
        for start in stride(from: 0, to: lines.count, by: batch) {
            try await db.logs.appendLog(log, text(lines[start..<min(start + batch, lines.count)]))
        }
    }

    /// The bytes the database stores for `log`'s content.
    static func storedBytes(_ db: Database, _ log: Int) async throws -> Int {
        try await db.withTransaction { sql in
            try await sql.raw(
                "SELECT COALESCE(SUM(LENGTH(content)), 0) AS n FROM logchunks WHERE logid = \(bind: log)"
            ).first(decodingColumn: "n", as: Int.self) ?? 0
        }
    }

    /// Stores lines `first...` of `log` as one chunk of `content`, as a Gantry before compression wrote them (or a
    /// row damaged since), and sets the log's line count to the line after them.
    static func insertChunk(
        _ db: Database, _ log: Int, first: Int, last: Int, content: Data, compressed: Int? = nil
    ) async throws {
        try await db.withTransaction { sql in
            if let compressed {
                try await sql.raw(
                    """
                    INSERT INTO logchunks (logid, first_line, last_line, content, compressed)
                    VALUES (\(bind: log), \(bind: first), \(bind: last), \(bind: content), \(bind: compressed))
                    """
                ).run()
            } else {
                try await sql.raw(
                    """
                    INSERT INTO logchunks (logid, first_line, last_line, content)
                    VALUES (\(bind: log), \(bind: first), \(bind: last), \(bind: content))
                    """
                ).run()
            }
            try await sql.raw("UPDATE logs SET num_lines = \(bind: last + 1) WHERE id = \(bind: log)").run()
        }
    }
}
