import Foundation
import GantryTesting
import Testing

@testable import GantryChangeSources

@Suite("GitPoller's log parser", .paced)
struct GitLogParserTests {
    private let a = String(repeating: "a", count: 40)
    private let b = String(repeating: "b", count: 40)
    private let c = String(repeating: "c", count: 40)

    /// A commit as `git log -z` prints it with the parser's format.
    private func record(_ sha: String, message: String, files: [String], time: Int = 1_700_000_000) -> String {
        let fields = ["/commit/", sha, "Ann <ann@example.org>", "Cy <cy@example.org>", "\(time)", message]
        let head = fields.joined(separator: "\u{0}") + "\u{0}"
        return files.isEmpty ? head : head + "\n" + files.map { $0 + "\u{0}" }.joined()
    }

    @Test("commits with their fields and files, a commit without files, and odd file names")
    func parse() throws {
        let output =
            record(a, message: "first\n\nbody\n", files: ["a.txt", "dir/é t.txt"])
            + record(b, message: "empty\n", files: [])
            + record(c, message: "last\n", files: ["\nline", "x"], time: 1_700_000_100)
        let commits = try GitLogParser.parse(output)
        #expect(
            commits == [
                GitCommit(
                    sha: a, author: "Ann <ann@example.org>", committer: "Cy <cy@example.org>",
                    timestamp: 1_700_000_000, message: "first\n\nbody", files: ["a.txt", "dir/é t.txt"]),
                GitCommit(
                    sha: b, author: "Ann <ann@example.org>", committer: "Cy <cy@example.org>",
                    timestamp: 1_700_000_000, message: "empty", files: []),
                GitCommit(
                    sha: c, author: "Ann <ann@example.org>", committer: "Cy <cy@example.org>",
                    timestamp: 1_700_000_100, message: "last", files: ["\nline", "x"]),
            ])
        #expect(try GitLogParser.parse("").isEmpty)
    }

    @Test("output of another shape is refused")
    func malformed() {
        for output in [
            "junk", record(a, message: "m", files: []).replacingOccurrences(of: "1700000000", with: "soon"),
            "/commit/\u{0}\(a)\u{0}Ann", record("not-a-sha", message: "m", files: []),
        ] {
            #expect(throws: GitError.unreadableOutput(command: "log")) { try GitLogParser.parse(output) }
        }
    }
}
