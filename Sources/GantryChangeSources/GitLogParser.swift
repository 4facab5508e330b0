import Foundation

/// One commit as `git log` describes it, with what a change records of it.
struct GitCommit: Sendable, Hashable {
    let sha: String
    /// `Name <mail>`, as Buildbot's GitPoller records authors.
    let author: String
    let committer: String
    /// The commit time, in seconds since 1970 (Buildbot's `usetimestamps`).
    let timestamp: Int
    /// The whole message, trimmed of the white space around it.
    let message: String
    /// The files changed; for a merge, against its first parent.
    let files: [String]
}

/// Reads what ``arguments`` make `git log` print for the commits given on its standard input.
///
/// With `-z`, git ends each commit's fields with NUL, then lists its files (the first after a newline), each
/// ended by NUL. Each commit starts with ``marker``, which no file name can equal: paths git lists never start
/// with a slash.
enum GitLogParser {
    static let marker = "/commit/"

    /// The arguments of `git log`: the commits named on standard input, in that order, without walking their
    /// history.
    static let arguments = [
        "--stdin", "--no-walk=unsorted", "-z", "-m", "--first-parent", "--name-only", "--no-color",
        "--no-show-signature", "--format=\(marker)%x00%H%x00%aN <%aE>%x00%cN <%cE>%x00%ct%x00%B",
    ]

    /// The commits in `output`, in order.
    /// - Throws: ``GitError/unreadableOutput(command:)`` when the output does not have that shape.
    static func parse(_ output: String) throws -> [GitCommit] {
        let tokens = output.split(separator: "\u{0}", omittingEmptySubsequences: false)
        let start = Substring(Self.marker)
        var commits: [GitCommit] = []
        var index = 0
        while index < tokens.count {
            // The output ends with a NUL, which leaves one empty token.
            if tokens[index].isEmpty {
                index += 1
                continue
            }
            let fields = Array(tokens[index..<min(index + 6, tokens.count)])
            guard fields.count == 6, fields[0] == start, GitRefs.isObjectName(fields[1]),
                let timestamp = Int(fields[4])
            else { throw GitError.unreadableOutput(command: "log") }
            index += 6
            var files: [String] = []
            while index < tokens.count, tokens[index] != start {
                let token = tokens[index]
                let file = files.isEmpty && token.hasPrefix("\n") ? token.dropFirst() : token
                if !file.isEmpty { files.append(String(file)) }
                index += 1
            }
            commits.append(
                GitCommit(
                    sha: String(fields[1]), author: String(fields[2]), committer: String(fields[3]),
                    timestamp: timestamp, message: fields[5].trimmingCharacters(in: .whitespacesAndNewlines),
                    files: files))
        }
        return commits
    }
}
