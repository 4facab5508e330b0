import Foundation
import GantryStorage
import Logging

/// A step's `stdio` log: output stored as whole lines prefixed by stream (`o`, `e`, `h`, as Buildbot's), with
/// every secret the step used replaced by `<NAME>`.
actor StdioLog {
    let id: Int
    private let database: Database
    private let logger: Logger
    /// Secret value → its name; longer values first, so one that contains another is masked whole.
    private var masks: [(value: String, name: String)] = []
    /// The standard output, when the step asked to keep it (SetPropertyFromCommand, Git's rev-parse).
    private(set) var stdout = ""
    private var keepsStdout = false

    init(id: Int, database: Database, logger: Logger) {
        self.id = id
        self.database = database
        self.logger = logger
    }

    func mask(_ secrets: [String: String]) {
        for (name, value) in secrets where !value.isEmpty && !masks.contains(where: { $0.value == value }) {
            masks.append((value, name))
        }
        masks.sort { $0.value.count > $1.value.count }
    }

    /// Collects the standard output from now on, until `takeStdout()`.
    func keepStdout() {
        keepsStdout = true
        stdout = ""
    }

    func takeStdout() -> String {
        keepsStdout = false
        defer { stdout = "" }
        return stdout
    }

    /// Appends `text` as lines of stream `prefix`.
    func append(_ text: String, prefix: String) async {
        guard !text.isEmpty else { return }
        let shown = masked(text)
        if keepsStdout, prefix == "o" { stdout += shown }
        do {
            try await database.logs.appendLog(id, Self.lines(shown, prefix: prefix))
        } catch {
            logger.warning("log lines not stored", metadata: ["gantry.log.id": "\(id)", "gantry.error": "\(error)"])
        }
    }

    func finish() async throws {
        try await database.logs.finishLog(id)
    }

    private func masked(_ text: String) -> String {
        masks.reduce(text) { $0.replacingOccurrences(of: $1.value, with: "<\($1.name)>") }
    }

    /// `text` as whole lines, each prefixed (a missing final newline is added).
    static func lines(_ text: String, prefix: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        return lines.map { prefix + $0 + "\n" }.joined()
    }
}
