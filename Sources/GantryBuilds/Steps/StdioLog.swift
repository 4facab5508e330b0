import Foundation
import GantryModel
import GantryStorage
import Logging

/// A step's `stdio` log: output stored as whole lines prefixed by stream (`o`, `e`, `h`, as Buildbot's), with
/// every secret the step used replaced by `<NAME>`.
actor StdioLog {
    let id: Int
    private let database: Database
    private let logger: Logger
    private let clock: any Clock<Duration>
    /// Whole lines waiting to be written: lines are written together once per `writeInterval`, or sooner once
    /// `writeLimit` bytes wait, so a chatty command costs a transaction per interval, not per update.
    private var unwritten = ""
    /// The writer, while it writes: one write at a time, so lines keep their order, and what waits meanwhile is
    /// written by the same writer next.
    private var writer: Task<Void, Never>?
    /// Whether a timed write is waiting for `writeInterval` to pass.
    private var writeScheduled = false
    static let writeInterval: Duration = .milliseconds(200)
    static let writeLimit = 256 << 10
    /// Secret value → its name; longer values first, so one that contains another is masked whole.
    private var masks: [(value: String, name: String)] = []
    /// The standard output, when the step asked to keep it (SetPropertyFromCommand, Git's rev-parse), up to
    /// `longestKeptOutput` bytes: it becomes a property, and the master's memory stays bounded.
    private(set) var stdout = ""
    private var keepsStdout = false
    /// Whether the kept output went over `longestKeptOutput`.
    private var stdoutOverflowed = false
    static let longestKeptOutput = 1 << 20
    /// Each stream's unfinished last line.
    private var partial: [String: String] = [:]
    /// The longest secret with a line break in it, in bytes (0: none).
    private var multiLineSecretLength = 0
    /// Whether the database refused lines of this log.
    private var lostLines = false
    /// An unfinished line longer than this (16 MiB) is stored as it is: the master's memory stays bounded
    /// whatever a command prints without a newline.
    static let longestLine = 16 << 20

    /// - Parameter clock: What `writeInterval` is measured on.
    init(id: Int, database: Database, logger: Logger, clock: any Clock<Duration> = ContinuousClock()) {
        self.id = id
        self.database = database
        self.logger = logger
        self.clock = clock
    }

    func mask(_ secrets: [String: String]) {
        for (name, value) in secrets where !value.isEmpty && !masks.contains(where: { $0.value == value }) {
            masks.append((value, name))
        }
        masks.sort { $0.value.count > $1.value.count }
        multiLineSecretLength = masks.filter { $0.value.utf8.contains(Self.newline) }.map(\.value.utf8.count).max() ?? 0
    }

    /// Collects the standard output from now on, until `takeStdout()`.
    func keepStdout() {
        keepsStdout = true
        stdoutOverflowed = false
        stdout = ""
    }

    /// The output kept since `keepStdout()`; `nil` when it went over `longestKeptOutput` (it is in the log whole).
    func takeStdout() -> String? {
        keepsStdout = false
        defer { stdout = "" }
        return stdoutOverflowed ? nil : stdout
    }

    /// Why kept output is refused.
    static let keptOutputTooLong = GantryError(
        .invalidArgument,
        "the command's standard output is over \(longestKeptOutput >> 20) MiB: too long for a property")

    /// Appends `text` to stream `prefix`. Lines are stored whole, as Buildbot's master assembles them: a worker
    /// may cut its output anywhere, and a secret or a line cut across two updates must still be masked and
    /// stored as one. An unfinished line is held until its newline, the command's end, or `longestLine` bytes.
    func append(_ text: String, prefix: String) async {
        guard !text.isEmpty else { return }
        var pending = partial.removeValue(forKey: prefix) ?? ""
        pending += text
        // Only the new text can hold the last newline; searching `pending` from its end finds it there.
        guard text.utf8.contains(Self.newline) || pending.utf8.count > Self.longestLine else {
            partial[prefix] = pending
            return
        }
        guard pending.utf8.count <= Self.longestLine else { return await store(pending, prefix: prefix) }
        // Masked before it is cut, so no cut falls inside a secret with line breaks that is already whole.
        if multiLineSecretLength > 0 { pending = masked(pending) }
        // The last lines may be the start of a secret with a line break in it: they wait for the rest, so the
        // secret is masked whole.
        let held = max(multiLineSecretLength - 1, 0)
        let limit =
            pending.utf8.index(pending.utf8.endIndex, offsetBy: -held, limitedBy: pending.utf8.startIndex)
            ?? pending.utf8.startIndex
        guard let newline = pending.utf8[..<limit].lastIndex(of: Self.newline) else {
            partial[prefix] = pending
            return
        }
        let rest = pending.utf8.index(after: newline)
        if rest < pending.endIndex { partial[prefix] = String(pending[rest...]) }
        await store(String(pending[..<rest]), prefix: prefix)
    }

    /// Stores the unfinished lines (at a command's end), each as a line of its own.
    func flush() async {
        let unfinished = partial
        partial = [:]
        for (prefix, text) in unfinished.sorted(by: { $0.key < $1.key }) { await store(text, prefix: prefix) }
    }

    /// Stores the unfinished lines and waits for the write under way. The lines still waiting are not written:
    /// the step's last transaction appends them as it marks the log complete (``StepsConnector/finishStep``).
    /// - Returns: Whether every line written so far was stored (a log that lost lines must not go unnoticed),
    ///   and the lines left to append.
    func close() async -> (intact: Bool, lastLines: String) {
        await flush()
        await writer?.value
        defer { unwritten = "" }
        return (!lostLines, unwritten)
    }

    private func store(_ text: String, prefix: String) async {
        let shown = masked(text)
        if keepsStdout, prefix == "o", !stdoutOverflowed {
            if stdout.utf8.count.addingSaturated(shown.utf8.count) > Self.longestKeptOutput {
                stdoutOverflowed = true
                stdout = ""
            } else {
                stdout += shown
            }
        }
        unwritten += Self.lines(shown, prefix: prefix)
        if unwritten.utf8.count >= Self.writeLimit {
            // The command's output waits for the database: what the master holds stays bounded.
            startWriting()
            await writer?.value
        } else if !writeScheduled, writer == nil {
            writeScheduled = true
            Task { [clock] in
                try? await clock.sleep(for: Self.writeInterval)
                self.timedWrite()
            }
        }
    }

    private func timedWrite() {
        writeScheduled = false
        startWriting()
    }

    /// Starts the writer unless it runs already; it writes until no line waits.
    private func startWriting() {
        guard writer == nil, !unwritten.isEmpty else { return }
        writer = Task {
            while !self.unwritten.isEmpty {
                let content = self.unwritten
                self.unwritten = ""
                await self.append(content)
            }
            self.writer = nil
        }
    }

    private func append(_ content: String) async {
        do {
            try await database.logs.appendLog(id, content)
        } catch {
            lostLines = true
            logger.error("log lines not stored", metadata: [LogKey.log: "\(id)", LogKey.error: "\(error)"])
        }
    }

    private func masked(_ text: String) -> String {
        masks.reduce(text) { $0.replacingOccurrences(of: $1.value, with: "<\($1.name)>") }
    }

    /// `text` as whole lines, each prefixed (a missing final newline is added). Lines end at `\n` bytes only:
    /// a `\r` (progress output, CRLF) stays part of its line, as Buildbot keeps it.
    static func lines(_ text: String, prefix: String) -> String {
        var lines = text.utf8.split(separator: newline, omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        var joined = ""
        joined.reserveCapacity(text.utf8.count + lines.count * (prefix.utf8.count + 1))
        for line in lines {
            joined += prefix
            joined += String(Substring(line))
            joined += "\n"
        }
        return joined
    }

    private static let newline = UInt8(ascii: "\n")
}
