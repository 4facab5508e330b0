import GantryWire

// Foundation's essentials only: the worker executable loads neither ICU nor the rest of Foundation.
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A command's updates on their way to the master, sent together as Buildbot's worker sends them: when
/// the buffer timeout has passed since the first waiting one, when the buffer size is reached, and when the
/// command ends. Stream text (`stdout`, `stderr`, `header`) goes out as whole lines, consecutive lines of one
/// stream in one entry.
actor UpdateBuffer {
    private enum Entry {
        case lines(String, LineBatch)
        case value(String, MessagePackValue)
    }

    private let commandID: String
    private let session: MasterSession
    private let settings: OutputSettings
    private var entries: [Entry] = []
    private var splitters: [String: LineSplitter] = [:]
    private var waiting = 0
    private var timer: Task<Void, Never>?

    init(commandID: String, session: MasterSession, settings: OutputSettings) {
        self.commandID = commandID
        self.session = session
        self.settings = settings
    }

    /// Adds `text` to `stream`; only the lines it completes are queued.
    func write(_ text: String, to stream: String) async {
        let now = Date().timeIntervalSince1970
        let fresh = LineSplitter(pattern: settings.newlinePattern, maxLength: settings.maxLineLength)
        if let batch = splitters[stream, default: fresh].append(text, at: now) { await queue(stream, batch) }
    }

    /// Closes every stream's unfinished line, as buildbot-worker does when a command's output ends.
    func closeLines() async {
        for stream in splitters.keys.sorted() {
            if let batch = splitters[stream]?.finish() { await queue(stream, batch) }
        }
    }

    /// Adds an entry that is not stream text (`rc`, `elapsed`, `files`...).
    func add(_ key: String, _ value: MessagePackValue) async {
        entries.append(.value(key, value))
        await waited(16)
    }

    /// Sends what waits, now.
    func flush() async {
        timer?.cancel()
        timer = nil
        guard !entries.isEmpty else { return }
        let sent = entries.map { entry -> MessagePackValue in
            switch entry {
            case .lines(let key, let batch): .array([.string(key), batch.value])
            case .value(let key, let value): .array([.string(key), value])
            }
        }
        entries = []
        waiting = 0
        await session.report("update", [.init("command_id", .string(commandID)), .init("args", .array(sent))])
    }

    /// Ends the command's output: unfinished lines are closed and everything is sent.
    func finish() async {
        await closeLines()
        await flush()
    }

    private func queue(_ stream: String, _ batch: LineBatch) async {
        if case .lines(let key, var merged)? = entries.last, key == stream {
            entries.removeLast()
            merged.append(batch)
            entries.append(.lines(key, merged))
        } else {
            entries.append(.lines(stream, batch))
        }
        // Each line also costs an offset and a time on the wire.
        await waited(batch.text.utf8.count + 14 * batch.newlines.count)
    }

    private func waited(_ size: Int) async {
        waiting += size
        if waiting >= settings.bufferSize {
            await flush()
        } else if timer == nil {
            timer = Task { [timeout = settings.bufferTimeout] in
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                await self.flush()
            }
        }
    }
}
