import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@testable import GantryChangeSources

/// A git repository a test commits to: the remote its pollers watch, with their copies beside it, all in a
/// directory of its own that goes when the repository does.
final class TestRepository: Sendable {
    /// The directory holding the repository (`upstream`) and the pollers' copies.
    let root: URL
    /// The authors and committers of the test's commits.
    static let author = (name: "Ann Author", email: "ann@example.org")
    static let committer = (name: "Cy Committer", email: "cy@example.org")

    /// A repository with no commits, on branch `main`.
    init() async throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-gitpoller-\(UUID())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try await git("init", "-q", "-b", "main", path)
    }

    deinit {
        try? FileManager.default.removeItem(at: root)
    }

    /// The repository's directory.
    var path: String { root.appendingPathComponent("upstream").path }

    /// Its `file://` URL.
    var fileURL: String { "file://" + path }

    /// A directory for a poller's copy.
    func workdir(_ name: String = "work") -> String {
        root.appendingPathComponent(name).path
    }

    /// Runs git in the repository (or, before it exists, in `root`) at `time`, with the test's identities and
    /// none of the user's configuration.
    /// - Returns: What it printed, trimmed.
    @discardableResult
    func git(_ arguments: String..., at time: Int = 1_700_000_000) async throws -> String {
        try await git(arguments, at: time)
    }

    /// Runs git as the variadic form does, with an argument list made by the caller.
    @discardableResult
    func git(_ arguments: [String], at time: Int = 1_700_000_000) async throws -> String {
        let output = root.appendingPathComponent("git-output-\(UUID())")
        defer { try? FileManager.default.removeItem(at: output) }
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let directory = FileManager.default.fileExists(atPath: path) ? path : root.path
        process.arguments = ["git", "-C", directory] + arguments
        process.environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": root.path,
            "GIT_CONFIG_NOSYSTEM": "1", "LANG": "C.UTF-8",
            "GIT_AUTHOR_NAME": Self.author.name, "GIT_AUTHOR_EMAIL": Self.author.email,
            "GIT_COMMITTER_NAME": Self.committer.name, "GIT_COMMITTER_EMAIL": Self.committer.email,
            "GIT_AUTHOR_DATE": "@\(time) +0000", "GIT_COMMITTER_DATE": "@\(time) +0000",
        ]
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: output)
        let status = try await process.runUntilExit()
        let text = try String(contentsOf: output, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard status == 0 else { throw GitCommandFailed(arguments: arguments, output: text) }
        return text
    }

    /// Commits `files` (each with new content) with `message` at `time`, on the branch checked out.
    /// - Returns: The commit's id.
    @discardableResult
    func commit(_ message: String, files: [String] = ["file.txt"], at time: Int = 1_700_000_000) async throws
        -> String
    {
        for file in files {
            let url = URL(fileURLWithPath: path).appendingPathComponent(file)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try "\(message) \(UUID())\n".write(to: url, atomically: true, encoding: .utf8)
        }
        try await git(["add", "--"] + files)
        try await git("commit", "-q", "-m", message, at: time)
        return try await git("rev-parse", "HEAD")
    }
}

/// A git command of the test's own that failed.
struct GitCommandFailed: Error, CustomStringConvertible {
    let arguments: [String]
    let output: String

    var description: String { "git \(arguments.joined(separator: " ")) failed: \(output)" }
}
