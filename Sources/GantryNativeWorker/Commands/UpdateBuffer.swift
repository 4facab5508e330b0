import GantryWire

/// A command's updates on their way to the master, sent together as Buildbot's worker sends them: when
/// `timeout` has passed since the first waiting one, when `size` is reached, and when the command ends.
/// Consecutive text of one stream is merged into one entry.
actor UpdateBuffer {
    private let commandID: String
    private let session: MasterSession
    private let timeout: Duration
    private let size: Int
    private var entries: [(key: String, value: MessagePackValue)] = []
    private var waiting = 0
    private var timer: Task<Void, Never>?

    init(commandID: String, session: MasterSession, timeout: Duration, size: Int) {
        self.commandID = commandID
        self.session = session
        self.timeout = timeout
        self.size = size
    }

    func add(_ key: String, _ value: MessagePackValue) async {
        if case .string(let text) = value, ["stdout", "stderr", "header"].contains(key), let last = entries.last,
            last.key == key, case .string(let before) = last.value
        {
            entries[entries.count - 1].value = .string(before + text)
        } else {
            entries.append((key, value))
        }
        if case .string(let text) = value { waiting += text.utf8.count } else { waiting += 16 }
        if waiting >= size {
            await flush()
        } else if timer == nil {
            timer = Task { [timeout] in
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                await self.flush()
            }
        }
    }

    /// Sends what waits, now.
    func flush() async {
        timer?.cancel()
        timer = nil
        guard !entries.isEmpty else { return }
        let sent = entries.map { MessagePackValue.array([.string($0.key), $0.value]) }
        entries = []
        waiting = 0
        _ = try? await session.request(
            "update", [.init("command_id", .string(commandID)), .init("args", .array(sent))])
    }
}
